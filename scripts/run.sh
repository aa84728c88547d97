#!/bin/sh
# make run: a complete quail system as the invoking user under ./run, in the
# foreground. quail-setup makes (or completes) a single-user instance:
# the qmail home in ./run/qmail, service directories in ./run/service, logs
# in ./run/log/<service>, and the user demo (POP3 password demo) whose
# Maildir is ./run/home/demo/Maildir/. svscan then supervises every
# service; Ctrl-C stops everything.
#
# For tests: QUAIL_RUN_SETUP_ONLY=1 stops after the setup, and
# QUAIL_RUN_OPTS adds quail-setup options after the standard ones (such as
# -p qmail-smtpd=PORT to move a service off its fixed port).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/bin"
run="$top/run"
PATH="$bin:$PATH"
export PATH

mkdir -p "$run"

# The heartbeat demo of earlier versions of this script is not a service
# of quail: take it out of an old ./run.
if [ -f "$run/service/heartbeat/run" ] && grep -q 'heartbeat: alive' "$run/service/heartbeat/run"; then
  rm -rf "$run/service/heartbeat"
fi

quail-setup -u -B -h localhost -i 127.0.0.1 \
  -d "$run/qmail" -s "$run/service" -l "$run/log" -D "$run/home/demo" -b "$bin" \
  -p qmail-smtpd=2525 -p submission=5587 -p smtps=4465 \
  -p pop3=1110 -p pop3s=1995 -p qmtpd=2209 -p qmqpd=6628 ${QUAIL_RUN_OPTS:-} >"$run/setup.log" 2>&1 || {
  cat "$run/setup.log" >&2
  echo "quail: quail-setup failed; see above" >&2
  exit 111
}
grep -v ': created \|: kept \|: compiled ' "$run/setup.log" || true

# Extensions: scripts/run.d/*.sh are sourced here, after the setup and
# before svscan starts, with $top, $bin and $run set.
for extra in "$top"/scripts/run.d/*.sh; do
  [ -f "$extra" ] && . "$extra"
done

echo "quail: single-user instance in run/ (setup report: run/setup.log)"
for s in "$run"/service/*; do
  [ -d "$s" ] || continue
  name=${s##*/}
  where=""
  if [ -s "$s/env/PORT" ]; then
    where=" on $(cat "$s/env/IP"):$(cat "$s/env/PORT")"
  fi
  echo "  $name$where, log in run/log/$name/current"
done
echo "  demo@localhost delivers to run/home/demo/Maildir/ (POP3 user demo, password demo)"
if [ -f "$run/service/pop3/env/UCSPITLS" ] && [ "$(cat "$run/service/pop3/env/UCSPITLS")" = + ]; then
  echo "  pop3 here takes USER and PASS before STLS, in the clear, on loopback only, for the demo examples;"
  echo "  the services quail-setup installs as root take passwords only over TLS"
fi
echo "  QMAILHOME=$run/qmail ./bin/sendmail -t  queues mail on this instance"

if [ "${QUAIL_RUN_SETUP_ONLY:-}" = 1 ]; then
  exit 0
fi

echo "quail: starting svscan on run/service; Ctrl-C stops everything"

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
