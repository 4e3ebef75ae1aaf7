"""iienv: a private Python dependency environment for every Blender add-on.

The Blender layer (preferences, operators, UI) is built on ``iienv_addon.core``;
see DESIGN.md. This package is installed into Blender as the folder ``iienv``.
"""

bl_info = {
    "name": "iienv",
    "author": "iienv developers",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "Preferences > Add-ons > iienv",
    "description": "Per-add-on Python dependency environments inside one Blender process",
    "category": "System",
}
