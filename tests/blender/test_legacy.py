"""Issue 4 in bpy 4.5, legacy form (iienv copied to scripts/addons/iienv)."""


def test_two_numpys_purge_uninstall_bad_input_and_disable(run_scenario) -> None:
    out = run_scenario("legacy_two_numpys.py")
    assert "installing the environment of 'iienv_example_older'" in out


def test_late_attach_and_clean_exit(run_scenario) -> None:
    # A hang at exit shows up as TimeoutExpired here.
    out = run_scenario("late_attach.py", timeout=180)
    assert "re-enabling 'iienv_example_newer' under its environment" in out


def test_damaged_state_of_one_environment(run_scenario) -> None:
    run_scenario("damaged_state.py")


def test_uninstall_under_windows_file_rules(run_scenario) -> None:
    out = run_scenario("windows_uninstall.py")
    assert "deleted later, at the latest when Blender restarts" in out
