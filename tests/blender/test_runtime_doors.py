"""Issue 8 in bpy 4.5: operators, property callbacks, handlers, timers and threads run in the
add-on's environment (Blender's numpy stays Blender's)."""


def test_doors_run_the_addon_in_its_environment(run_scenario) -> None:
    run_scenario("runtime_doors.py", timeout=300)
