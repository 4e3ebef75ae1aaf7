#!/bin/sh
# uv's own wheels from the package index, one per platform Blender supports, into
# $UV_WHEELS: the per-platform extension zips carry them (scripts/build.py), and the
# tests install with the binary of the one for this machine.
set -eu
: "${PYTHON:=python3.11}" "${UV_WHEELS:=wheelhouse/uv}"
UV_PIN=$(grep -v '^#' requirements/uv.txt | head -n 1)  # uv==X.Y.Z, the one version tested
mkdir -p "$UV_WHEELS"
for platform in manylinux_2_17_x86_64 manylinux_2_17_aarch64 macosx_10_12_x86_64 \
        macosx_11_0_arm64 win_amd64 win_arm64; do
    "$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all: --no-deps \
        --platform "$platform" -d "$UV_WHEELS" "$UV_PIN"
done
