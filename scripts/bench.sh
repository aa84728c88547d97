#!/bin/sh
# make bench: every benchmark under bench/ that has a run.sh, each printing
# its figures beside the reference tool's from the same run, as ratios.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/bin:$PATH"
export PATH QUAIL_BIN="$top/bin"
status=0
for b in "$top"/bench/*/run.sh; do
  [ -f "$b" ] || continue
  echo "== $(basename "$(dirname "$b")")"
  sh "$b" || { echo "bench $(basename "$(dirname "$b")") failed"; status=1; }
done
exit $status
