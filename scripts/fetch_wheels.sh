#!/bin/sh
# Download the requirements listed in a file (one per line, environment markers allowed:
# a line whose marker does not fit this interpreter is skipped) as wheels for this
# interpreter into $WHEELHOUSE, one at a time (they conflict with each other on purpose).
set -eu
: "${PYTHON:=python3.11}" "${WHEELHOUSE:=wheelhouse/cp311}"
mkdir -p "$WHEELHOUSE"
grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$' | while IFS= read -r req; do
    "$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all: --no-deps \
        -d "$WHEELHOUSE" "$req"
done
