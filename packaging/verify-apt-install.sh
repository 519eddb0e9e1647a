#!/usr/bin/env bash
# Proves that `apt-get install ./deso-media_*.deb` works on a clean Debian 12:
# bootstraps a minimal bookworm root with debootstrap (from Debian's archive),
# installs the package there with apt-get, and runs the installed binary
# (--version, and an off-screen render of the window with a file argument).
# Not part of ctest: it downloads a few hundred MB and takes minutes.
# Usage (as root): packaging/verify-apt-install.sh path/to/deso-media_<version>_<arch>.deb [root-dir]
set -euo pipefail
deb=$(readlink -f "${1:?usage: verify-apt-install.sh <deb> [root-dir]}")
root=${2:-/var/tmp/deso-media-bookworm-root}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "verify-apt-install.sh: run as root (debootstrap and chroot need it)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "verify-apt-install.sh: apt-get install debootstrap" >&2; exit 1; }

if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "-- debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log" >&2; exit 1; }
  # Same suites as a stock Debian 12 install: point releases and security fixes.
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
fi

mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
cp "$deb" "$root/tmp/"
name=$(basename "$deb")

echo "-- apt-get install ./$name (in the clean root)"
chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -qq && apt-get install -y -q /tmp/$name" \
  >"$root.apt.log" 2>&1 || { tail -30 "$root.apt.log" >&2; exit 1; }
grep -E '^(Need to get|After this operation)' "$root.apt.log" || true

echo "-- deso-media --version"
chroot "$root" deso-media --version
echo "-- deso-media --screenshot (offscreen) with a file argument"
cp "$root/usr/share/icons/hicolor/64x64/apps/deso-media.png" "$root/tmp/photo.png"
chroot "$root" env QT_QPA_PLATFORM=offscreen deso-media --screenshot /tmp/window.png /tmp/photo.png
echo "-- dpkg -L deso-media"
chroot "$root" dpkg -L deso-media | grep -E 'bin/|\.desktop|metainfo|scalable'
echo "PASS: $name installs with apt-get on a clean Debian 12 root ($root)"
