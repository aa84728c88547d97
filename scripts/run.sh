#!/bin/sh
# make run: a complete quail system as the invoking user under ./run, in the
# foreground. svscan supervises every service in ./run/service; each logs
# through multilog into ./run/log/<service>. Ctrl-C stops everything.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/bin"
run="$top/run"
PATH="$bin:$PATH"
export PATH

mkdir -p "$run/service" "$run/log"

# service NAME RUNSCRIPT: (re)write ./run/service/NAME with its logger.
# Written into a dot-directory first and renamed, so svscan never sees a
# half-made service.
service() {
  name=$1 body=$2
  tmp="$run/service/.$name.new"
  rm -rf "$tmp"
  mkdir -p "$tmp/log" "$run/log/$name"
  printf '#!/bin/sh\nPATH=%s:$PATH\nexport PATH\nexec 2>&1\n%s\n' "$bin" "$body" > "$tmp/run"
  printf '#!/bin/sh\nexec %s/multilog t s1000000 n5 %s/log/%s\n' "$bin" "$run" "$name" > "$tmp/log/run"
  chmod 755 "$tmp/run" "$tmp/log/run"
  if [ -d "$run/service/$name" ]; then
    # keep supervise/ state of a running service: replace the scripts only
    cp "$tmp/run" "$run/service/$name/run.new" && mv "$run/service/$name/run.new" "$run/service/$name/run"
    cp "$tmp/log/run" "$run/service/$name/log/run.new" && mv "$run/service/$name/log/run.new" "$run/service/$name/log/run"
    rm -rf "$tmp"
  else
    mv "$tmp" "$run/service/$name"
  fi
  started="$started
  $name: log in run/log/$name/current"
}

started=""
service heartbeat 'echo "heartbeat: started, pid $$"
while :; do echo "heartbeat: alive"; sleep 60; done'

for extra in "$top"/scripts/run.d/*.sh; do
  [ -f "$extra" ] && . "$extra"
done

echo "quail: starting svscan on $run/service"
echo "services:$started"
echo "quail: Ctrl-C stops everything"

# svscan gets its own session so that Ctrl-C reaches only this script,
# which then takes the services down in order through svscan's SIGTERM.
setsid svscan "$run/service" &
svscan_pid=$!
stop() {
  trap '' INT TERM
  echo
  echo "quail: stopping"
  kill -TERM "$svscan_pid" 2>/dev/null || true
  wait "$svscan_pid" 2>/dev/null || true
  echo "quail: stopped"
  exit 0
}
trap stop INT TERM
wait "$svscan_pid"
