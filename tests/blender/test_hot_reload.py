"""Issue 5 in bpy 4.5: hot reload through the watcher's timer callback."""


def test_edit_submodule_change_requirements_syntax_error(run_scenario) -> None:
    out = run_scenario("hot_reload.py")
    assert "reload after a source edit" in out


def test_reload_of_an_addon_whose_package_keeps_a_registry(run_scenario) -> None:
    run_scenario("hot_reload_registries.py", timeout=300)
