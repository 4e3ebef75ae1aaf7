"""Issue 5 in bpy 4.5: hot reload through the watcher's timer callback."""


def test_edit_submodule_change_requirements_syntax_error(run_scenario) -> None:
    out = run_scenario("hot_reload.py")
    assert "reload after a source edit" in out
