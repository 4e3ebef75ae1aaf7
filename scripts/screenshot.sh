#!/bin/sh
# Screenshot of iienv's Preferences in a real Blender 4.3 window -> docs/preferences.png.
# Debian trixie's blender 4.3.2 in its chroot (scripts/trixie_chroot.sh) under Xvfb: iienv
# installed as an extension by Blender's own tools (with its bundled uv), the two example add-ons with their
# environments, two extensions bundling different six wheels (the Bundled wheels view) and
# an environment whose state.json is damaged (broken, with Repair). Needs root (chroot).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
root=$(sh "$repo/scripts/trixie_chroot.sh")
wheelhouse=${IIENV_WHEELHOUSE:-$repo/wheelhouse/cp313}
work=/tmp/iienv-screenshot
host=$root$work
rm -rf "$host"
mkdir -p "$host/wheels" "$host/dist" "$host/user/scripts/addons"
trap 'rm -rf "$host"' EXIT
for wheel in numpy-2.2.6-cp313 numpy-2.4.6-cp313 six-1.16.0 six-1.17.0; do
    cp "$wheelhouse/$wheel"-*.whl "$host/wheels/"
done
mkdir -p "$host/src/iienv"
cp -r "$repo/iienv_addon/." "$host/src/iienv/"
# as the linux-x64 zip of scripts/build.py: uv's wheel in uv/ (the Installer row shows it)
mkdir -p "$host/src/iienv/uv"
cp "$repo"/wheelhouse/uv/uv-*-manylinux_2_17_x86_64*.whl "$host/src/iienv/uv/"
sed 's/^blender_version_min = .*/&\nplatforms = ["linux-x64"]/' "$repo/blender_manifest.toml" \
    >"$host/src/iienv/blender_manifest.toml"
find "$host/src" -name __pycache__ -prune -exec rm -rf {} +
for name in iienv_example_older iienv_example_newer; do
    cp -r "$repo/examples/addons/$name" "$host/user/scripts/addons/$name"
done
for pair in "iienv_bundles_six_old 1.16.0" "iienv_bundles_six_new 1.17.0"; do
    set -- $pair
    mkdir -p "$host/src/$1/wheels"
    cp "$wheelhouse/six-$2-py2.py3-none-any.whl" "$host/src/$1/wheels/"
    printf 'import six\n\n\ndef register():\n    pass\n\n\ndef unregister():\n    pass\n' \
        >"$host/src/$1/__init__.py"
    printf '%s\n' 'schema_version = "1.0.0"' "id = \"$1\"" 'version = "1.0.0"' \
        "name = \"Bundles six $2\"" 'tagline = "Ships its own six wheel"' \
        'maintainer = "iienv developers"' 'type = "add-on"' 'blender_version_min = "4.2.0"' \
        'license = ["SPDX:GPL-3.0-or-later"]' "wheels = [\"./wheels/six-$2-py2.py3-none-any.whl\"]" \
        >"$host/src/$1/blender_manifest.toml"
done
# an environment another Blender left half-written: listed as broken, with Repair and Remove
broken="$host/user/extensions/.user/user_default/iienv/environments/iienv_example_broken"
mkdir -p "$broken/gen-1"
printf '{"name": "iienv_example_broken", "owners": ["iienv_example_broken"], "site' \
    >"$broken/state.json"
cp "$repo/scripts/screenshot_preferences.py" "$host/"
mountpoint -q "$root/proc" || { mount -t proc proc "$root/proc"; umount_proc=1; }
run() {
    chroot "$root" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        BLENDER_USER_RESOURCES="$work/user" PIP_FIND_LINKS="$work/wheels" PIP_NO_INDEX=1 \
        IIENV_SCREENSHOT="$work/preferences.xwd" IIENV_FRAMEBUFFER="$work/fb/Xvfb_screen0" "$@"
}
for ext in iienv iienv_bundles_six_old iienv_bundles_six_new; do
    run blender --command extension build --source-dir "$work/src/$ext" --output-dir "$work/dist"
done
for zip in "$host"/dist/*.zip; do
    run blender --command extension install-file -r user_default -e "$work/dist/$(basename "$zip")"
done
run blender -b --python-expr \
    "import bpy; bpy.context.preferences.view.show_splash = False; bpy.ops.wm.save_userpref()"
mkdir -p "$host/fb"
# (Blender 4.3's own screenshot reads back black under Xvfb: the X server's framebuffer
# file is what the screen shows; the script copies it once the window has drawn)
run xvfb-run -a -s "-screen 0 1400x1050x24 -fbdir $work/fb" blender \
    --python "$work/screenshot_preferences.py"
python3 "$repo/scripts/xwd_to_png.py" "$host/preferences.xwd" "$repo/docs/preferences.png"
[ -z "${umount_proc:-}" ] || umount -l "$root/proc"
echo "screenshot: $repo/docs/preferences.png"
