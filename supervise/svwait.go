package supervise

import (
	"errors"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/supervise/status"
)

// Svwait implements svwait(8), which daemontools lacks: wait until every
// service named is up, and ready as well when -r is given or the service
// directory has a notification-fd file. -t seconds bounds the wait (0, the
// default, waits for ever). Exit 0 when all are there, 111 on timeout, 100 on
// a usage error.
func Svwait(inv *cli.Invocation) int {
	const synopsis = "[ -t seconds ] [ -r ] dir ..."
	p := getopt.New(inv.Args, "t:r")
	var limit time.Duration
	wantReady := false
	for {
		c, arg, ok, err := p.Next()
		if !ok {
			break
		}
		if err != nil {
			return inv.Usage(synopsis)
		}
		switch c {
		case 't':
			secs, perr := strconv.ParseFloat(arg, 64)
			if perr != nil || !(secs >= 0 && secs <= 1e9) { // NaN fails both
				return inv.Usage(synopsis)
			}
			limit = time.Duration(secs * float64(time.Second))
		case 'r':
			wantReady = true
		}
	}
	dirs := p.Rest()
	if len(dirs) == 0 {
		return inv.Usage(synopsis)
	}
	var deadline time.Time
	if limit > 0 {
		deadline = time.Now().Add(limit)
	}
	pause := 5 * time.Millisecond
	for _, dir := range dirs {
		for {
			why := notYet(dir, wantReady)
			if why == "" {
				break
			}
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return inv.Fatal(cli.ExitTemporary, "timed out waiting for %s: %s", dir, why)
			}
			time.Sleep(pause)
			if pause < 100*time.Millisecond {
				pause *= 2
			}
		}
	}
	return cli.ExitOK
}

// notYet says why dir is not yet where svwait wants it, or "" when it is.
func notYet(dir string, wantReady bool) string {
	dfd, err := openDir(dir)
	if err != nil {
		return "unable to chdir: " + djberr.Text(err)
	}
	defer unix.Close(dfd)
	if running, err := supervisorRunning(dfd); !running {
		if errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENOENT) {
			return "supervise not running"
		}
		return "unable to open supervise/ok: " + djberr.Text(err)
	}
	raw, err := readAt(dfd, status.FileName, status.Size)
	if err != nil {
		return "unable to open supervise/status: " + djberr.Text(err)
	}
	st, err := status.Decode(raw)
	if err != nil {
		return "unable to read supervise/status: " + err.Error()
	}
	if st.PID == 0 {
		return "down"
	}
	if !wantReady {
		uses, err := existsAt(dfd, status.NotificationFile)
		if err != nil {
			return "unable to stat notification-fd: " + djberr.Text(err)
		}
		wantReady = uses
	}
	if wantReady {
		if _, ok := readyStamp(dfd, st); !ok {
			return "up but not ready"
		}
	}
	return ""
}
