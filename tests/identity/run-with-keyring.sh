#!/bin/sh
# Runs a command inside a private D-Bus session with a fresh, unlocked gnome-keyring
# (a real Secret Service), so the OS-keychain path of the test key store is tested
# end to end on headless machines. Everything lives in a temporary HOME that is removed
# afterwards; the user's own keyring and settings are never touched.
# Usage: run-with-keyring.sh COMMAND [ARGS...]
set -eu
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || {
    echo "run-with-keyring.sh: $tool is missing; run packaging/install-deps.sh" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/run"
export HOME="$tmp" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run"
# The keyring password is a throwaway: the keyring is deleted with $tmp.
dbus-run-session -- sh -c '
  printf "throwaway" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' run-with-keyring "$@"
