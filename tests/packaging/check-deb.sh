#!/usr/bin/env bash
# Builds deso-media_<version>_<arch>.deb with CPack from a configured, built tree
# and checks it: contents, control fields (Depends computed by dpkg-shlibdeps),
# desktop entry and AppStream metainfo validity, icon sizes, and that the binary
# extracted with `dpkg -x` runs (--version, and an off-screen window render).
# Usage: check-deb.sh <build-dir> <version> <scratch-dir>
set -euo pipefail
build=$1 version=$2 work=$3
app_id=io.github.deso_protocol.MediaCompanion
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }

for tool in cpack dpkg dpkg-deb dpkg-shlibdeps desktop-file-validate appstreamcli file readelf; do
  command -v "$tool" >/dev/null || fail "$tool is missing; run packaging/install-deps.sh"
done
[ -f "$build/CPackConfig.cmake" ] || fail "$build/CPackConfig.cmake missing: configure the project first"

rm -rf "$work"
mkdir -p "$work"

step "cpack (DEB) into $work/out"
# A scratch output directory, so the test never clobbers a package the user built.
if ! cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  fail "cpack failed"
fi
arch=$(dpkg --print-architecture)
deb="$work/out/deso-media_${version}_${arch}.deb"
[ -f "$deb" ] || fail "expected $deb; cpack produced: $(ls "$work/out")"
echo "   $(basename "$deb"): $(stat -c %s "$deb") bytes"

step "contents"
dpkg-deb -c "$deb" >"$work/contents.txt"
expected=(
  ./usr/bin/deso-media
  ./usr/lib/deso-media/libdeso-media-video.so
  ./usr/share/applications/deso-media.desktop
  "./usr/share/metainfo/$app_id.metainfo.xml"
  ./usr/share/icons/hicolor/scalable/apps/deso-media.svg
  ./usr/share/doc/deso-media/copyright
)
for size in 16 32 48 64 128 256; do
  expected+=("./usr/share/icons/hicolor/${size}x${size}/apps/deso-media.png")
done
for path in "${expected[@]}"; do
  awk '{print $6}' "$work/contents.txt" | grep -qxF "$path" || {
    cat "$work/contents.txt" >&2
    fail "$path is not in the package"
  }
done
grep -E ' \./usr/bin/deso-media$' "$work/contents.txt" | grep -q '^-rwxr-xr-x' \
  || fail "/usr/bin/deso-media is not installed as an executable (-rwxr-xr-x)"
# Nothing outside /usr (no build-tree or /usr/local paths leaking in).
if awk '{print $6}' "$work/contents.txt" | grep -vE '^\./$|^\./usr/' ; then
  fail "the package installs files outside /usr (listed above)"
fi

step "control fields"
[ "$(dpkg-deb -f "$deb" Package)" = deso-media ] || fail "Package is not deso-media"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "Architecture is not $arch"
depends=$(dpkg-deb -f "$deb" Depends)
echo "   Depends: $depends"
# A versioned entry like "libqt6core6 (>= 6.4.0)" comes from dpkg-shlibdeps
# reading the binary's NEEDED libraries; nobody writes these by hand here.
# (Only libraries every build links; the linker drops unused ones with --as-needed.)
for lib in libc6 'libstdc\+\+6' libqt6core6 libqt6gui6 libqt6widgets6; do
  grep -qE "(^|, )$lib \(>= [^)]+\)" <<<"$depends" \
    || fail "Depends lacks a shlibdeps-computed entry for $lib"
done
# FFmpeg comes in through the video engine module, whose NEEDED libraries shlibdeps reads too.
grep -qE "(^|, )libavformat[0-9]+ \(>= [^)]+\)" <<<"$depends" \
  || fail "Depends lacks libavformat (the video engine module's libraries were not scanned)"
for pkg in qt6-image-formats-plugins libqt6svg6; do
  grep -qE "(^|, )$pkg(,|$| )" <<<"$depends" || fail "Depends lacks the runtime plugin package $pkg"
done

step "dpkg -x into a throwaway root"
root="$work/root"
dpkg -x "$deb" "$root"

step "desktop-file-validate"
desktop="$root/usr/share/applications/deso-media.desktop"
out=$(desktop-file-validate "$desktop" 2>&1) || { echo "$out" >&2; fail "desktop-file-validate failed"; }
# Warnings leave the exit status 0; this entry should draw none.
[ -z "$out" ] || { echo "$out" >&2; fail "desktop-file-validate reported problems"; }
grep -qx 'Exec=deso-media %F' "$desktop" || fail "Exec is not 'deso-media %F'"
grep -qx 'Icon=deso-media' "$desktop" || fail "Icon is not deso-media"
grep -qx 'MimeType=image/jpeg;image/png;image/webp;image/gif;video/mp4;video/quicktime;video/webm;' "$desktop" \
  || fail "MimeType does not list the seven media types"

step "appstreamcli validate --no-net"
metainfo="$root/usr/share/metainfo/$app_id.metainfo.xml"
appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate failed"
grep -q "<release version=\"$version\"" "$metainfo" || fail "metainfo has no <release> for $version"
grep -q '<project_license>GPL-3.0-or-later</project_license>' "$metainfo" \
  || fail "metainfo does not give the project's licence (GPL-3.0-or-later)"
copyright="$root/usr/share/doc/deso-media/copyright"
head -1 "$copyright" | grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  || fail "the copyright file is not in Debian's machine-readable format"
grep -q '^License: GPL-3.0-or-later' "$copyright" || fail "the copyright file does not name GPL-3.0-or-later"
grep -q '<launchable type="desktop-id">deso-media.desktop</launchable>' "$metainfo" \
  || fail "metainfo does not launch deso-media.desktop"

step "icons"
for size in 16 32 48 64 128 256; do
  png="$root/usr/share/icons/hicolor/${size}x${size}/apps/deso-media.png"
  file -b "$png" | grep -q "^PNG image data, $size x $size," \
    || fail "$png is not a ${size}x${size} PNG: $(file -b "$png")"
done
grep -q '<svg' "$root/usr/share/icons/hicolor/scalable/apps/deso-media.svg" || fail "the scalable icon is not an SVG"

step "the installed binary"
bin="$root/usr/bin/deso-media"
file -b "$bin" | grep -q ', stripped' || fail "the packaged binary is not stripped: $(file -b "$bin")"
if readelf -d "$bin" | grep -E 'RPATH|RUNPATH'; then
  fail "the packaged binary carries an RPATH/RUNPATH (listed above); in /usr/bin it must use the system library path"
fi
# FFmpeg is loaded only when video is processed (core/video/videoengine.h): the binary
# itself must not need it, and must find the module beside it (../lib/deso-media/).
if readelf -d "$bin" | grep NEEDED | grep -E 'libav(format|codec)'; then
  fail "the binary links FFmpeg directly (listed above); it must come through libdeso-media-video.so"
fi
module="$root/usr/lib/deso-media/libdeso-media-video.so"
file -b "$module" | grep -q ', stripped' || fail "the video engine module is not stripped: $(file -b "$module")"
if readelf -d "$module" | grep -E 'RPATH|RUNPATH'; then
  fail "the video engine module carries an RPATH/RUNPATH (listed above)"
fi
head -c 4096 /dev/zero | tr '\0' x >"$work/not-a-video.mp4"
probe_out=$("$bin" upload-video --node http://127.0.0.1:9 --public-key x --jwt y --retries 0 --fit 1K "$work/not-a-video.mp4" 2>&1) || true
# The probe's own sentences (libavformat answered), not the engine's "could not be loaded".
grep -qE 'container cannot be read|is not a video' <<<"$probe_out" \
  || { echo "$probe_out" >&2; fail "the packaged binary did not probe a video through its engine module"; }
echo "   video engine: $(basename "$module") loaded (a file of x bytes was probed: not a video)"
got=$("$bin" --version)
[ "$got" = "deso-media $version" ] || fail "--version printed '$got', expected 'deso-media $version'"
echo "   --version: $got"
# The GUI starts from the package too, with a file on the command line as the
# desktop entry passes it (%F).
cp "$root/usr/share/icons/hicolor/64x64/apps/deso-media.png" "$work/photo.png"
QT_QPA_PLATFORM=offscreen "$bin" --screenshot "$work/window.png" "$work/photo.png" 2>"$work/gui.log" \
  || { cat "$work/gui.log" >&2; fail "the packaged binary could not render its window"; }
file -b "$work/window.png" | grep -q '^PNG image data' || fail "no window screenshot was written"

echo "PASS: $(basename "$deb")"
