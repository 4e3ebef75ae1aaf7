#!/bin/sh
# Download the given requirements as wheels for this interpreter into $WHEELHOUSE,
# one at a time (they conflict with each other on purpose).
set -eu
: "${PYTHON:=python3.11}" "${WHEELHOUSE:=wheelhouse}"
mkdir -p "$WHEELHOUSE"
for req in "$@"; do
    "$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all: --no-deps \
        -d "$WHEELHOUSE" "$req"
done
