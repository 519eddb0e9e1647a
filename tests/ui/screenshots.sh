#!/usr/bin/env bash
# Writes PNGs of the main views of deso-media into a folder, under a virtual X server
# (Debian xvfb), so a person can look at the window without a display:
#   tests/ui/screenshots.sh [OUTPUT_DIR]      (default: build/screenshots)
# The app runs its screenshot tour (deso-media --screenshot-tour): its own local host on
# 127.0.0.1, a session-only test key, an image uploaded, a video paused mid-upload, the
# node tester run, then a media-server upload to ready (poster, stream, URLs) and the tester's
# media-server steps, then a video over the media server's limit held with the offer of a copy
# that fits, and that copy made and previewed; settings and data live in a temporary folder.
# docs/screenshots keeps 07 to 10 from a run of this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${DESO_BUILD_DIR:-$root/build}
out=${1:-$build/screenshots}
bin=$build/app/deso-media
if [ ! -x "$bin" ]; then
  echo "screenshots.sh: $bin is missing; build first (./dev.sh test or cmake --build build)." >&2
  exit 1
fi
command -v xvfb-run >/dev/null || { echo "screenshots.sh: xvfb-run is missing (apt-get install xvfb xauth)." >&2; exit 1; }
mkdir -p "$out"
export QT_MEDIA_BACKEND=${QT_MEDIA_BACKEND:-ffmpeg}
xvfb-run -a -s "-screen 0 1400x900x24" "$bin" --screenshot-tour "$out"
ls -1 "$out"/*.png
