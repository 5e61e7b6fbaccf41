#!/usr/bin/env bash
# scripts/demo run as the README runs it, but from another directory and from a source tree
# whose path holds a space, with stand-ins for install-deps, cmake and the built binary (no
# build, no apt-get): the demo runs in the caller's directory, so `-o OUT` and the commands it
# prints are the caller's (it ran in the source tree: `-o out` landed there, and the printed
# `./build/release/tools/flowsift show out` held nowhere else); a failing step fails the script.
#   demo_test.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d /tmp/flowsift-demo-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/source tree"
mkdir -p "$tree/scripts" "$tree/build/release/tools" "$work/bin" "$work/caller dir"
cp "$src/scripts/demo" "$tree/scripts/demo"
printf '#!/bin/sh\nexit 0\n' >"$tree/scripts/install-deps"
printf '#!/bin/sh\nexit 0\n' >"$work/bin/cmake"
printf '#!/bin/sh\necho "cwd=$PWD program=$0 args=$*"\n' >"$tree/build/release/tools/flowsift"
chmod +x "$tree/scripts/"* "$work/bin/cmake" "$tree/build/release/tools/flowsift"

fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$work/caller dir"
out=$(PATH="$work/bin:$PATH" "$tree/scripts/demo" -o out --bytes 4M) || fail "demo exited $?"
[[ $out == "cwd=$work/caller dir program=$tree/build/release/tools/flowsift args=demo -o out --bytes 4M" ]] ||
  fail "the demo ran as: $out"
# An exported CDPATH that finds the tree (cd then prints where it went): root was that line
# twice, and the demo a path that does not exist.
out=$(cd "$tree/.." && CDPATH=. PATH="$work/bin:$PATH" "source tree/scripts/demo" -o out) ||
  fail "with CDPATH=.: demo exited $?"
[[ $out == "cwd=$work program=$tree/build/release/tools/flowsift args=demo -o out" ]] ||
  fail "with CDPATH=.: the demo ran as: $out"
# A failing step (here install-deps) stops the script with its status; the demo never runs.
printf '#!/bin/sh\nexit 5\n' >"$tree/scripts/install-deps"
status=0
out=$(PATH="$work/bin:$PATH" "$tree/scripts/demo" 2>&1) || status=$?
[[ $status -eq 5 && -z $out ]] || fail "with install-deps failing: exit $status, output '$out'"
echo "scripts/demo: runs the demo in the caller's directory; a failed step fails it"
