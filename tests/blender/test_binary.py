"""Issue 4 must-show 3: the legacy scenario in Debian's blender binary (blender -b --python)."""


def test_legacy_scenario_in_blender_binary(run_scenario) -> None:
    out = run_scenario("legacy_two_numpys.py", binary=True)
    assert "Blender 3.4" in out  # really the Debian binary, not the bpy module


def test_worker_processes_in_blender_binary(run_scenario) -> None:
    """Workers of an add-on's code run its environment (sys.executable: a PATH python3.11)."""
    out = run_scenario("workers.py", binary=True)
    assert "Blender 3.4" in out
