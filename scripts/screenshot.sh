#!/bin/sh
# Screenshot of iienv's Preferences in Debian's blender under Xvfb -> docs/preferences.png.
# A throwaway profile: saved preferences with the splash off, then the real run.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
export IIENV_REPO="$repo"
export BLENDER_USER_SCRIPTS="$profile/scripts" BLENDER_USER_CONFIG="$profile/config"
export BLENDER_USER_DATAFILES="$profile/datafiles"
export PIP_FIND_LINKS="${IIENV_WHEELHOUSE:-$repo/wheelhouse}" PIP_NO_INDEX=1
blender -b --factory-startup --python-expr \
    "import bpy; bpy.context.preferences.view.show_splash = False; bpy.ops.wm.save_userpref()"
xvfb-run -a -s "-screen 0 1400x900x24" blender --python "$repo/scripts/screenshot_preferences.py"
