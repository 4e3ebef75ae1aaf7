"""Build iienv's two installable zips (and the example add-ons as extensions).

* ``dist/iienv-<version>.zip``: the Blender 4.2+ extension, validated and built by
  Blender's own ``blender_ext.py`` (shipped inside the bpy package); no uv in it:
  it installs with a uv on PATH or configured, else pip.
* ``dist/iienv-<version>-<platform>.zip`` (``linux_x64``, ``windows_x64``, ...): the
  same extension for one platform, carrying uv's wheel for it in ``uv/`` and
  ``platforms = [...]`` in its manifest (the names ``--split-platforms`` gives).
  Not ``--split-platforms`` itself: it splits the manifest's ``wheels``, and
  Blender extracts those into the site-packages every extension shares, which
  would put an importable ``uv`` package there. iienv only needs the binary
  (installer_choice.py).
* ``dist/iienv-legacy-<version>.zip``: the legacy add-on, a zip whose folder is
  ``iienv`` (Preferences > Add-ons > Install from Disk, or unzip into scripts/addons).
* ``--examples``: the example add-ons as extensions too, their ``[iienv]`` table
  copied from iienv.toml into the generated blender_manifest.toml.

Run with the interpreter that has bpy (``make build`` does).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def blender_ext() -> Path:
    import bpy  # the bpy module ships Blender's extension tooling

    scripts = Path(bpy.utils.system_resource("SCRIPTS"))
    path = scripts / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    if not path.is_file():
        sys.exit(f"build: Blender's blender_ext.py not found at {path}")
    return path


# Blender's platform names -> the platform tag of uv's wheel for it (scripts/fetch_uv.sh)
UV_PLATFORMS = {
    "linux-x64": "manylinux_2_17_x86_64",
    "linux-arm64": "manylinux_2_17_aarch64",
    "macos-x64": "macosx_10_12_x86_64",
    "macos-arm64": "macosx_11_0_arm64",
    "windows-x64": "win_amd64",
    "windows-arm64": "win_arm64",
}


def build_extension(
    source: Path,
    manifest: Path,
    out: Path,
    tool: Path,
    platform: str | None = None,
    uv_wheel: Path | None = None,
) -> Path:
    data = tomllib.loads(manifest.read_text())
    name = f"{data['id']}-{data['version']}"
    target = out / (f"{name}-{platform.replace('-', '_')}.zip" if platform else f"{name}.zip")
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "src"
        shutil.copytree(source, stage, ignore=IGNORE)
        text = manifest.read_text()
        if platform:  # after blender_version_min: a top-level key, before any table
            line = rf'\1\nplatforms = ["{platform}"]'
            text = re.sub(r"(?m)^(blender_version_min = .*)$", line, text)
        (stage / "blender_manifest.toml").write_text(text)
        if uv_wheel is not None:
            (stage / "uv").mkdir()
            shutil.copy(uv_wheel, stage / "uv" / uv_wheel.name)
        for command in (
            ["validate", str(stage)],
            ["build", "--source-dir", str(stage), "--output-filepath", str(target)],
        ):
            proc = subprocess.run(
                [sys.executable, str(tool), *command], capture_output=True, text=True, check=False
            )
            if proc.returncode != 0:
                sys.exit(f"build: blender_ext.py {command[0]} failed:\n{proc.stdout}{proc.stderr}")
    return target


def uv_wheels(folder: Path) -> dict[str, Path]:
    """Blender platform -> uv's wheel for it, of those in ``folder``."""
    found: dict[str, Path] = {}
    for platform, tag in UV_PLATFORMS.items():
        wheels = sorted(folder.glob(f"uv-*-py3-none-*{tag}*.whl"))
        if wheels:
            found[platform] = wheels[-1]
    return found


def build_legacy(source: Path, out: Path, version: str) -> Path:
    target = out / f"iienv-legacy-{version}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                zf.write(path, Path("iienv") / path.relative_to(source))
    return target


def example_manifest(addon_dir: Path, target: Path) -> None:
    table = tomllib.loads((addon_dir / "iienv.toml").read_text())["iienv"]
    # TOML literal strings: a requirement's environment marker has double quotes
    reqs = ", ".join(f"'{r}'" for r in table.get("requirements", []))
    target.write_text(
        f'schema_version = "1.0.0"\nid = "{addon_dir.name}"\nversion = "1.0.0"\n'
        f'name = "iienv example {addon_dir.name}"\ntagline = "Runs its own numpy via iienv"\n'
        f'maintainer = "iienv developers"\ntype = "add-on"\nblender_version_min = "4.2.0"\n'
        f'license = ["SPDX:GPL-3.0-or-later"]\n\n[iienv]\nrequirements = [{reqs}]\n'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--examples", action="store_true")
    parser.add_argument(
        "--uv-wheels",
        type=Path,
        default=REPO / "wheelhouse" / "uv",
        help="uv's wheels (make wheels fetches them): one extension zip per platform with uv",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tool = blender_ext()
    manifest = REPO / "blender_manifest.toml"
    version = tomllib.loads(manifest.read_text())["version"]
    print(build_extension(REPO / "iienv_addon", manifest, args.out, tool))
    for platform, wheel in uv_wheels(args.uv_wheels).items():
        print(build_extension(REPO / "iienv_addon", manifest, args.out, tool, platform, wheel))
    print(build_legacy(REPO / "iienv_addon", args.out, version))
    if args.examples:
        for addon_dir in sorted((REPO / "examples" / "addons").iterdir()):
            with tempfile.TemporaryDirectory() as tmp:
                generated = Path(tmp) / "blender_manifest.toml"
                example_manifest(addon_dir, generated)
                print(build_extension(addon_dir, generated, args.out, tool))


if __name__ == "__main__":
    main()
