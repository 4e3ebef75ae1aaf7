#!/bin/sh
# Print the path of a working CPython X.Y (the argument, e.g. 3.13), installing it if needed.
#
# Order: `pythonX.Y` on PATH if it really runs (a pyenv shim for a version that is not
# selected exits with an error), then pyenv's own versions directory, then
# `pyenv install -s X.Y` (builds CPython from python.org's source; needs gcc and the
# usual -dev packages, which scripts/install_system_deps.sh installs).
set -eu
want="$1"
try() { "$1" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" \
    >/dev/null 2>&1 && echo "$1" && exit 0; }
if command -v "python$want" >/dev/null 2>&1; then try "$(command -v "python$want")" || true; fi
root="${PYENV_ROOT:-$HOME/.pyenv}"
for candidate in $(ls -d "$root/versions/$want"* 2>/dev/null | sort -rV); do
    try "$candidate/bin/python$want" || true
done
if command -v pyenv >/dev/null 2>&1; then
    echo "find_python: installing CPython $want with pyenv (several minutes)" >&2
    pyenv install -s "$want" >&2 || true
    for candidate in $(ls -d "$root/versions/$want"* 2>/dev/null | sort -rV); do
        try "$candidate/bin/python$want" || true
    done
fi
echo "find_python: no CPython $want found; install it (e.g. 'pyenv install $want') and run again," \
    "or give its path: make test PY313=/path/to/python$want" >&2
exit 1
