#!/usr/bin/env bash
# Installs the S3 test server (s3rver 3.7.1 behind a SigV4-checking launcher, see
# tests/common/s3rver/) into DIR with npm: project-local, never global, never at build time.
# Idempotent: when DIR already has the pinned packages it prints nothing and touches nothing.
# Usage: packaging/install-s3rver.sh DIR      (./dev.sh test passes build/npm/s3rver)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 64; }
dir=$1
src="$(cd "$(dirname "$0")/.." && pwd)/tests/common/s3rver"
if [ -f "$dir/node_modules/s3rver/package.json" ] && [ -f "$dir/node_modules/@smithy/signature-v4/package.json" ] \
   && cmp -s "$src/package.json" "$dir/package.json"; then
  exit 0
fi
command -v npm >/dev/null && command -v node >/dev/null || {
  echo "install-s3rver.sh: node and npm are needed (Debian: apt-get install nodejs npm)." >&2; exit 1; }
mkdir -p "$dir"
cp "$src/package.json" "$dir/package.json"
echo "install-s3rver.sh: installing s3rver and @smithy/signature-v4 into $dir" >&2
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
