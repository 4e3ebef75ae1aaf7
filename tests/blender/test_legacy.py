"""Issue 4 in bpy 4.5, legacy form (iienv copied to scripts/addons/iienv)."""


def test_two_numpys_purge_uninstall_bad_input_and_disable(run_scenario) -> None:
    out = run_scenario("legacy_two_numpys.py")
    assert "installing the environment of 'iienv_example_np126'" in out
