"""Issue 16 in bpy: every path by which Blender, a script or another add-on calls an add-on's
code runs it in its environment, with two add-ons' numpy beside Blender's."""


def test_every_path_runs_the_addon_in_its_environment(run_scenario) -> None:
    run_scenario("every_path.py", timeout=600)
