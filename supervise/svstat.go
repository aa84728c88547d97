package supervise

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/supervise/status"
	"github.com/quail-mta/quail/tai64"
)

// Svstat implements svstat(8): one line per directory argument, in 0.76's
// exact words, then exit 0 whatever was found. A service that uses readiness
// notification (a notification-fd file) and has signalled it gets
// ", ready S seconds" at the end; every other line is what 0.76 prints.
func Svstat(inv *cli.Invocation) int {
	var out strings.Builder
	for _, dir := range inv.Args[1:] {
		out.WriteString(describe(dir, tai64.Now()))
		out.WriteByte('\n')
	}
	if _, err := inv.Stdout.WriteString(out.String()); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %s", djberr.Text(err))
	}
	return cli.ExitOK
}

// describe is svstat's line for dir, without the newline, as seen at now.
func describe(dir string, now tai64.Label) string {
	line := dir + ": "
	dfd, err := openDir(dir)
	if err != nil {
		return line + "unable to chdir: " + djberr.Text(err)
	}
	defer unix.Close(dfd)
	hasDown, err := existsAt(dfd, "down")
	if err != nil {
		return line + "unable to stat down: " + djberr.Text(err)
	}
	if running, err := supervisorRunning(dfd); !running {
		if errors.Is(err, unix.ENXIO) {
			return line + "supervise not running"
		}
		return line + "unable to open supervise/ok: " + djberr.Text(err)
	}
	raw, err := readAt(dfd, status.FileName, status.Size)
	if err != nil {
		return line + "unable to open supervise/status: " + djberr.Text(err)
	}
	st, err := status.Decode(raw)
	if err != nil {
		return line + "unable to read supervise/status: " + err.Error()
	}
	line += render(st, !hasDown, now)
	if st.PID != 0 {
		if ready, ok := readySince(dfd, st); ok {
			line += ", ready " + strconv.FormatUint(elapsed(ready, now), 10) + " seconds"
		}
	}
	return line
}

// render is the part of svstat's line after "DIR: " for a decoded record.
func render(st status.Status, normallyUp bool, now tai64.Label) string {
	var b strings.Builder
	if st.PID != 0 {
		b.WriteString("up (pid ")
		b.WriteString(strconv.Itoa(st.PID))
		b.WriteString(") ")
	} else {
		b.WriteString("down ")
	}
	b.WriteString(strconv.FormatUint(elapsed(st.Stamp, now), 10))
	b.WriteString(" seconds")
	if st.PID != 0 && !normallyUp {
		b.WriteString(", normally down")
	}
	if st.PID == 0 && normallyUp {
		b.WriteString(", normally up")
	}
	if st.PID != 0 && st.Paused {
		b.WriteString(", paused")
	}
	if st.PID == 0 && st.Want == status.WantUp {
		b.WriteString(", want up")
	}
	if st.PID != 0 && st.Want == status.WantDown {
		b.WriteString(", want down")
	}
	return b.String()
}

// elapsed is whole seconds from then to now, 0 if then is in the future;
// like 0.76 it compares seconds only.
func elapsed(then, now tai64.Label) uint64 {
	if now.Sec < then.Sec {
		return 0
	}
	return now.Sec - then.Sec
}

// readySince returns when the running service signalled readiness, if it
// uses notification-fd and has done so since its pid last changed.
func readySince(dfd int, st status.Status) (tai64.Label, bool) {
	uses, err := existsAt(dfd, status.NotificationFile)
	if err != nil || !uses {
		return tai64.Label{}, false
	}
	return readyStamp(dfd, st)
}

// readyStamp returns the readiness stamp recorded since the pid last
// changed, if any.
func readyStamp(dfd int, st status.Status) (tai64.Label, bool) {
	raw, err := readAt(dfd, status.ReadyName, 64)
	if err != nil {
		return tai64.Label{}, false
	}
	l, n, err := tai64.ParseText(raw)
	if err != nil || n != 25 || before(l, st.Stamp) {
		return tai64.Label{}, false
	}
	return l, true
}

func before(a, b tai64.Label) bool {
	return a.Sec < b.Sec || (a.Sec == b.Sec && a.Nano < b.Nano)
}

// readAt reads at most n bytes from the start of name below dirfd.
func readAt(dirfd int, name string, n int) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b := make([]byte, n)
	got := 0
	for got < n {
		m, err := unix.Read(fd, b[got:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		got += m
	}
	return b[:got], nil
}
