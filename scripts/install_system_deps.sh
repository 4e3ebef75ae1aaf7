#!/bin/sh
# System packages the tests need: Debian's blender binary (3.4.1) with its numpy and
# pip (the system Python it embeds), Xvfb for the Preferences screenshot, and binutils
# (readelf: the reference the soname edits are checked against).
set -eu
missing=""
for pkg in blender python3-numpy python3-pip xvfb xauth binutils; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install_system_deps: need root to apt-get install:$missing" >&2
    exit 1
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
