#!/bin/sh
# make bench: every benchmark under bench/, each printing its figures beside
# the reference tool's from the same run, as ratios. A benchmark is either
# a Go program (bench/NAME/main.go, run from the top directory, where its
# defaults find ./bin) or a script (bench/NAME/run.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 111
PATH="$top/bin:$PATH"
export PATH QUAIL_BIN="$top/bin"
status=0
for d in bench/*/; do
  name=$(basename "$d")
  if [ -f "$d/main.go" ]; then
    echo "== $name"
    go run "./$d" || { echo "bench $name failed"; status=1; }
  elif [ -f "$d/run.sh" ]; then
    echo "== $name"
    sh "$d/run.sh" || { echo "bench $name failed"; status=1; }
  fi
done
exit $status
