#!/bin/sh
# Download the compatibility corpus (tests/corpus/sets-cpXY.txt: "<set> <requirement>...") as
# binary wheels, with their dependencies, for this interpreter into $WHEELHOUSE. Each set
# is resolved on its own: the sets conflict with each other on purpose.
set -eu
: "${PYTHON:=python3.11}" "${WHEELHOUSE:=wheelhouse/cp311}" "${SETS:=tests/corpus/sets-cp311.txt}"
mkdir -p "$WHEELHOUSE"
grep -v '^#' "$SETS" | while read -r name requirements; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2086
    "$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all: \
        -d "$WHEELHOUSE" $requirements
done
