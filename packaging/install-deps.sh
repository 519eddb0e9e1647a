#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing DeSo Media
# Companion need. Idempotent: when everything is present it prints nothing and
# touches nothing. Usage: packaging/install-deps.sh [--bench] [--fuzz] [--s3rver DIR]
# --s3rver DIR: also the S3 test server (npm, into DIR; see packaging/install-s3rver.sh).
set -euo pipefail

pkgs=(
  # toolchain
  cmake g++ ninja-build pkg-config git ca-certificates
  # Qt 6.4 from Debian
  qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev
  qt6-multimedia-dev qt6-qpa-plugins qt6-image-formats-plugins libqt6svg6
  libgl-dev libvulkan-dev
  # packaging: renders the PNG icons from the SVG at build time
  librsvg2-bin
  # native libraries used directly by core/
  libsecp256k1-dev qtkeychain-qt6-dev libwebp-dev libjpeg-dev libpng-dev libssl-dev libdeflate-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  # tests: headless X, raw HTTP peer, packaging checks
  xvfb xauth curl desktop-file-utils appstream dpkg-dev file
  # tests: a real Secret Service for the OS-keychain test (tests/identity/run-with-keyring.sh)
  dbus-daemon gnome-keyring
  # tests: libvips, the node's image library, to compare animated WebPs with (tst_animated_webp)
  libvips-tools
)
s3rver_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) pkgs+=(libvips-tools ffmpeg) ;;
    --fuzz) pkgs+=(clang-14 libclang-rt-14-dev llvm-14) ;;
    --s3rver)
      [ $# -ge 2 ] || { echo "install-deps.sh: --s3rver needs a directory" >&2; exit 64; }
      s3rver_dir=$2; shift
      # Node/npm from Debian unless a node is already on PATH.
      command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
    *) echo "install-deps.sh: unknown option $1 (use --bench, --fuzz or --s3rver DIR)" >&2; exit 64 ;;
  esac
  shift
done
# Not fatal: without the npm registry the S3 tests skip with their own message.
s3rver() {
  [ -z "$s3rver_dir" ] || "$(dirname "$0")/install-s3rver.sh" "$s3rver_dir" \
    || echo "install-deps.sh: s3rver could not be installed; the S3 and scale-out tests will skip." >&2
}

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { s3rver; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps.sh: missing packages (${missing[*]}) and not root; run as root." >&2; exit 1
  fi
else SUDO=; fi

echo "install-deps.sh: installing ${#missing[@]} missing package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
s3rver
