package supervise_test

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/supervise"
	"github.com/quail-mta/quail/supervise/status"
)

// fastRestart shortens supervise's pause between starts, so that a test can
// restart a service many times; see supervise(8).
const fastRestart = supervise.PauseEnv + "=20"

// TestKill100 kills a service with SIGKILL a hundred times in a row; every
// kill must be followed by a new process.
func TestKill100(t *testing.T) {
	q := ours(t)
	dir := service(t, t.TempDir(), "svc", "exec sleep 1000")
	startSupervise(t, q.supervise, dir, fastRestart)
	seen := map[int]bool{}
	pid := waitUp(t, dir)
	for i := 0; i < 100; i++ {
		if seen[pid] {
			t.Fatalf("kill %d: pid %d seen before", i, pid)
		}
		seen[pid] = true
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		old := pid
		waitFor(t, "a new pid after kill "+strconv.Itoa(i), 10*time.Second, func() bool {
			st, ok := statusOK(dir)
			pid = st.PID
			return ok && st.PID != 0 && st.PID != old
		})
	}
	if len(seen) != 100 {
		t.Fatalf("%d distinct pids for 100 kills", len(seen))
	}
}

// TestPauseBetweenStarts: a service that ends soon after it starts is
// started again no sooner than one second after its previous start, as
// daemontools does. The starts are read from supervise's own stamps in the
// status record.
func TestPauseBetweenStarts(t *testing.T) {
	q := ours(t)
	dir := service(t, t.TempDir(), "svc", "sleep 0.2")
	startSupervise(t, q.supervise, dir)
	stamps := map[int]time.Time{}
	waitFor(t, "three starts", 15*time.Second, func() bool {
		if st, ok := statusOK(dir); ok && st.PID != 0 {
			stamps[st.PID] = st.Stamp.Time()
		}
		return len(stamps) >= 3
	})
	var times []time.Time
	for _, ts := range stamps {
		times = append(times, ts)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := 1; i < len(times); i++ {
		// Stamps have microsecond precision.
		if gap := times[i].Sub(times[i-1]); gap < time.Second-time.Microsecond {
			t.Fatalf("starts %d and %d only %v apart", i-1, i, gap)
		}
	}
}

// TestMissingRun: a directory without run is reported and retried, and
// the service starts once run appears.
func TestMissingRun(t *testing.T) {
	q := ours(t)
	dir := filepath.Join(t.TempDir(), "svc")
	os.Mkdir(dir, 0755)
	_, stderr := startSupervise(t, q.supervise, dir, fastRestart)
	want := "supervise: fatal: unable to start " + dir + "/run: file does not exist"
	waitFor(t, "two warnings", 10*time.Second, func() bool { return strings.Count(stderrText(stderr), want) >= 2 })
	if st := readStatus(t, dir); st.PID != 0 || st.Want != 'u' {
		t.Fatalf("status %+v without run", st)
	}
	writeScript(t, filepath.Join(dir, "run"), "exec sleep 1000")
	waitUp(t, dir)
}

// TestDownFileAndOnce: ./down keeps the service down at start; svc -o runs
// it once; svc -x lets supervise exit only when the service is down.
func TestDownFileAndOnce(t *testing.T) {
	q := ours(t)
	base := t.TempDir()
	runs := filepath.Join(base, "runs")
	dir := service(t, base, "svc", "echo run >> "+runs+"\nexec sleep 1000")
	os.WriteFile(filepath.Join(dir, "down"), nil, 0644)
	startSupervise(t, q.supervise, dir, fastRestart)
	if st := readStatus(t, dir); st.PID != 0 || st.Want != 'd' {
		t.Fatalf("status %+v with ./down", st)
	}
	run(t, q.svc, "-o", dir)
	pid := waitUp(t, dir)
	waitFor(t, "the first run", 5*time.Second, func() bool { return len(readLines(t, runs)) == 1 })
	if st := readStatus(t, dir); st.Want != 0 {
		t.Fatalf("want %q after svc -o", st.Want)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	waitDown(t, dir)
	run(t, q.svc, "-u", dir)
	pid = waitUp(t, dir)
	waitFor(t, "the second run", 5*time.Second, func() bool { return len(readLines(t, runs)) == 2 })
	run(t, q.svc, "-x", dir)
	// x alone leaves the service running, and supervise with it.
	waitFor(t, "status want u", 5*time.Second, func() bool { st, ok := statusOK(dir); return ok && st.Want == 'u' })
	if !supervising(dir) || !pidAlive(pid) {
		t.Fatalf("svc -x stopped a running service")
	}
	run(t, q.svc, "-d", dir)
	waitFor(t, "supervise to exit", 10*time.Second, func() bool { return !supervising(dir) })
	if n := len(readLines(t, runs)); n != 2 {
		t.Fatalf("run started %d times, want 2", n)
	}
	if st := readStatus(t, dir); st.PID != 0 {
		t.Fatalf("final status %+v", st)
	}
}

// TestSignals: each svc letter delivers its signal, the additions q 1 2 w
// included.
func TestSignals(t *testing.T) {
	q := ours(t)
	base := t.TempDir()
	got := filepath.Join(base, "got")
	script := ""
	for _, s := range []string{"HUP", "ALRM", "INT", "TERM", "QUIT", "USR1", "USR2", "WINCH", "CONT"} {
		script += "trap 'echo " + s + " >> " + got + "' " + s + "\n"
	}
	script += "echo ready >> " + got + "\nwhile :; do sleep 0.02; done"
	dir := service(t, base, "svc", script)
	startSupervise(t, q.supervise, dir, fastRestart)
	waitUp(t, dir)
	waitFor(t, "traps set", 5*time.Second, func() bool { return len(readLines(t, got)) > 0 })
	for _, c := range []struct{ opt, sig string }{
		{"-h", "HUP"}, {"-a", "ALRM"}, {"-i", "INT"}, {"-t", "TERM"},
		{"-q", "QUIT"}, {"-1", "USR1"}, {"-2", "USR2"}, {"-w", "WINCH"}, {"-c", "CONT"},
	} {
		_, errs, code := run(t, q.svc, c.opt, dir)
		if code != 0 || errs != "" {
			t.Fatalf("svc %s: %d %q", c.opt, code, errs)
		}
		waitFor(t, c.sig+" to arrive", 5*time.Second, func() bool {
			l := readLines(t, got)
			return len(l) > 0 && l[len(l)-1] == c.sig
		})
	}
	pid := readStatus(t, dir).PID
	run(t, q.svc, "-p", dir)
	waitFor(t, "paused", 5*time.Second, func() bool { st, ok := statusOK(dir); return ok && st.Paused })
	waitFor(t, "the service to stop", 5*time.Second, func() bool { return stopped(pid) })
	run(t, q.svc, "-c", dir)
	waitFor(t, "continued", 5*time.Second, func() bool { return !stopped(pid) })
	run(t, q.svc, "-k", dir)
	waitFor(t, "a new pid after svc -k", 10*time.Second, func() bool {
		st, ok := statusOK(dir)
		return ok && st.PID != 0 && st.PID != pid
	})
	// TERM is trapped, so down needs KILL before supervise can exit.
	run(t, q.svc, "-dkx", dir)
	waitFor(t, "supervise to exit", 10*time.Second, func() bool { return !supervising(dir) })
}

// stopped reads the process state from /proc.
func stopped(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'T'
}

// TestReadiness: with notification-fd, supervise records readiness when
// the daemon writes a newline on that descriptor, svstat shows it, svwait
// waits for it, and a restart forgets it.
func TestReadiness(t *testing.T) {
	q := ours(t)
	svwait := testbinPath(t, "svwait")
	base := t.TempDir()
	gate := filepath.Join(base, "gate")
	// The daemon reports ready only once the test creates the gate file.
	dir := service(t, base, "svc", "while [ ! -e "+gate+" ]; do sleep 0.02; done\necho >&5\nexec sleep 1000")
	os.WriteFile(filepath.Join(dir, status.NotificationFile), []byte("5\n"), 0644)
	startSupervise(t, q.supervise, dir, fastRestart)
	pid := waitUp(t, dir)

	_, errs, code := run(t, svwait, "-t", "0.3", dir)
	if code != 111 || !strings.Contains(errs, "not ready") {
		t.Fatalf("svwait before readiness: %d %q", code, errs)
	}
	if _, _, code := run(t, svwait, "-t", "0.3", "-r", dir); code != 111 {
		// -r on a service that is up but not ready times out too; the
		// gate is still closed, so this must fail.
		t.Fatalf("svwait -r before readiness: exit %d", code)
	}
	out, _, _ := run(t, q.svstat, dir)
	if strings.Contains(out, "ready") {
		t.Fatalf("svstat before readiness: %q", out)
	}
	os.WriteFile(gate, nil, 0644)
	if _, errs, code := run(t, svwait, "-t", "10", dir); code != 0 {
		t.Fatalf("svwait after readiness: %d %q", code, errs)
	}
	out, _, _ = run(t, q.svstat, dir)
	want := dir + ": up (pid " + strconv.Itoa(pid) + ") S seconds, ready S seconds\n"
	if filterSeconds(out) != want {
		t.Fatalf("svstat = %q, want %q", out, want)
	}
	if _, ok, _ := status.ReadReady(dir); !ok {
		t.Fatal("no supervise/ready")
	}
	if len(readStatus(t, dir).Encode()) != status.Size {
		t.Fatal("status record changed size")
	}

	os.Remove(gate)
	run(t, q.svc, "-k", dir)
	waitFor(t, "restart", 10*time.Second, func() bool {
		st, ok := statusOK(dir)
		return ok && st.PID != 0 && st.PID != pid
	})
	if _, ok, _ := status.ReadReady(dir); ok {
		t.Fatal("supervise/ready survived a restart")
	}
	out, _, _ = run(t, q.svstat, dir)
	if strings.Contains(out, "ready") {
		t.Fatalf("svstat after restart: %q", out)
	}
}

// TestSvwaitUsage pins svwait's exit codes for bad invocations and for a
// plain service, which needs only to be up.
func TestSvwaitUsage(t *testing.T) {
	svwait := testbinPath(t, "svwait")
	for _, args := range [][]string{{}, {"-t"}, {"-t", "x", "dir"}, {"-z", "dir"}} {
		if _, _, code := run(t, svwait, args...); code != 100 {
			t.Errorf("svwait %q: exit %d, want 100", args, code)
		}
	}
	dir := service(t, t.TempDir(), "svc", "exec sleep 1000")
	if _, _, code := run(t, svwait, "-t", "0.2", dir); code != 111 {
		t.Errorf("svwait without supervise: exit %d, want 111", code)
	}
	startSupervise(t, ours(t).supervise, dir)
	if _, errs, code := run(t, svwait, "-t", "10", dir); code != 0 {
		t.Errorf("svwait on a plain service: %d %q", code, errs)
	}
}
