"""Build iienv's two installable zips (and the example add-ons as extensions).

* ``dist/iienv-<version>.zip``: the Blender 4.2+ extension, validated and built by
  Blender's own ``blender_ext.py`` (shipped inside the bpy package).
* ``dist/iienv-legacy-<version>.zip``: the legacy add-on, a zip whose folder is
  ``iienv`` (Preferences > Add-ons > Install from Disk, or unzip into scripts/addons).
* ``--examples``: the example add-ons as extensions too, their ``[iienv]`` table
  copied from iienv.toml into the generated blender_manifest.toml.

Run with the interpreter that has bpy (``make build`` does).
"""

from __future__ import annotations

import argparse
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


def build_extension(source: Path, manifest: Path, out: Path, tool: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "src"
        shutil.copytree(source, stage, ignore=IGNORE)
        shutil.copy(manifest, stage / "blender_manifest.toml")
        for command in (
            ["validate", str(stage)],
            ["build", "--source-dir", str(stage), "--output-dir", str(out)],
        ):
            proc = subprocess.run(
                [sys.executable, str(tool), *command], capture_output=True, text=True, check=False
            )
            if proc.returncode != 0:
                sys.exit(f"build: blender_ext.py {command[0]} failed:\n{proc.stdout}{proc.stderr}")
    data = tomllib.loads(manifest.read_text())
    return out / f"{data['id']}-{data['version']}.zip"


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
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tool = blender_ext()
    manifest = REPO / "blender_manifest.toml"
    version = tomllib.loads(manifest.read_text())["version"]
    print(build_extension(REPO / "iienv_addon", manifest, args.out, tool))
    print(build_legacy(REPO / "iienv_addon", args.out, version))
    if args.examples:
        for addon_dir in sorted((REPO / "examples" / "addons").iterdir()):
            with tempfile.TemporaryDirectory() as tmp:
                generated = Path(tmp) / "blender_manifest.toml"
                example_manifest(addon_dir, generated)
                print(build_extension(addon_dir, generated, args.out, tool))


if __name__ == "__main__":
    main()
