#!/bin/sh
# Debian trixie's blender 4.3.2 (Python 3.13) in a chroot, for the real event loop, extensions
# and `blender -c`: made once with debootstrap from Debian's archive (~2 min, ~1.7 GB) and kept
# outside the checkout (IIENV_TRIXIE, default /var/cache/iienv/trixie); later runs reuse it.
# Prints the chroot's path. Needs root (CI runs as root).
set -eu
DIR=${IIENV_TRIXIE:-/var/cache/iienv/trixie}
PACKAGES=blender,xvfb,xauth,python3-numpy,python3-pip
if [ -f "$DIR/.iienv-ready" ]; then
    echo "$DIR"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "trixie_chroot: need root to debootstrap $DIR" >&2
    exit 1
fi
command -v debootstrap >/dev/null || {
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
}
rm -rf "$DIR.partial"
mkdir -p "$(dirname "$DIR")"
debootstrap --variant=minbase --include="$PACKAGES" trixie "$DIR.partial" >&2
rm -rf "$DIR"
mv "$DIR.partial" "$DIR"
touch "$DIR/.iienv-ready"
echo "$DIR"
