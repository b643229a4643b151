#!/bin/sh
# Builds the kernel helper for CI and manual use; src/kernel/helper-build.ts does the same on
# demand with the same flags. Usage: native/build.sh   (CC=clang native/build.sh to pick a compiler)
set -eu
cd "$(dirname "$0")"
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build.sh: no C compiler '$CC' found; install one, e.g. apt-get install gcc" >&2
  exit 1
fi
mkdir -p build
tmp="build/portspace-helper.tmp.$$"
# Build to a temporary name, then rename: a concurrent run never sees a half-written binary.
"$CC" -O2 -Wall -Wextra -Werror -std=gnu11 -o "$tmp" portspace-helper.c
mv -f "$tmp" build/portspace-helper
echo "built native/build/portspace-helper"
