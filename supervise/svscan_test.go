package supervise_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// svscanProc is a running svscan whose stderr goes to a file (a pipe would
// be held open by every supervise it starts).
type svscanProc struct {
	cmd    *exec.Cmd
	stderr string
	done   chan struct{}
	err    error
}

func startSvscan(t *testing.T, prog, dir string, env ...string) *svscanProc {
	t.Helper()
	bindir := testbin.Dir(t, "supervise", "svc")
	cmd := exec.Command(prog, dir)
	cmd.Env = append(os.Environ(), "PATH="+bindir+":"+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	errName := filepath.Join(t.TempDir(), "svscan.stderr")
	f, err := os.Create(errName)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &svscanProc{cmd: cmd, stderr: errName, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
		}
	})
	return p
}

func (p *svscanProc) errors(t *testing.T) string {
	b, _ := os.ReadFile(p.stderr)
	return string(b)
}

// stop sends SIGTERM and returns svscan's exit code.
func (p *svscanProc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("svscan did not exit after SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// TestSvscanLogNoLoss: a service under svscan writes numbered lines into
// its logger's pipe while the test kills it again and again, and the
// logger exits by itself every few dozen lines; then svscan is stopped with
// SIGTERM. Every line the service wrote must be in the log exactly once.
func TestSvscanLogNoLoss(t *testing.T) {
	q := ours(t)
	base := t.TempDir()
	scan := filepath.Join(base, "service")
	sent := filepath.Join(base, "sent")
	logged := filepath.Join(base, "logged")
	// The service records each line after writing it, so a line written
	// just before a kill may be logged without being recorded as sent.
	dir := service(t, scan, "gen", `i=0
while :; do
  i=$((i+1))
  echo "$$ $i"
  echo "$$ $i" >> `+sent+`
  if [ $((i % 5)) = 0 ]; then sleep 0.01; fi
done`)
	os.Mkdir(filepath.Join(dir, "log"), 0755)
	// read takes one line from a pipe and no more, so a logger that ends
	// leaves the rest for the next one.
	writeScript(t, filepath.Join(dir, "log", "run"), `n=0
while [ $n -lt 37 ] && IFS= read -r line; do
  printf '%s\n' "$line" >> `+logged+`
  n=$((n+1))
done`)
	p := startSvscan(t, q.svscan, scan, fastRestart)
	pid := waitUp(t, dir)
	waitUp(t, filepath.Join(dir, "log"))
	for i := 0; i < 20; i++ {
		before := len(readLines(t, sent))
		waitFor(t, "more lines", 10*time.Second, func() bool { return len(readLines(t, sent)) > before+10 })
		syscall.Kill(pid, syscall.SIGKILL)
		old := pid
		waitFor(t, "a restart", 10*time.Second, func() bool {
			st, ok := statusOK(dir)
			pid = st.PID
			return ok && st.PID != 0 && st.PID != old
		})
	}
	waitFor(t, "lines past several loggers", 10*time.Second, func() bool { return len(readLines(t, logged)) > 200 })
	if code := p.stop(t); code != 0 {
		t.Fatalf("svscan exit %d after SIGTERM; stderr:\n%s", code, p.errors(t))
	}
	if supervising(dir) || supervising(filepath.Join(dir, "log")) {
		t.Fatal("a supervise is still running after svscan exited")
	}

	sentLines := readLines(t, sent)
	count := map[string]int{}
	for _, l := range readLines(t, logged) {
		count[l]++
	}
	for l, n := range count {
		if n != 1 {
			t.Errorf("line %q logged %d times", l, n)
		}
	}
	last := map[string]int{}
	for _, l := range sentLines {
		if count[l] != 1 {
			t.Errorf("line %q sent but logged %d times", l, count[l])
		}
		f := strings.Fields(l)
		n, _ := strconv.Atoi(f[1])
		last[f[0]] = n
		delete(count, l)
	}
	// What is left was written but not recorded: at most the one line a
	// process wrote just before it was killed.
	for l := range count {
		f := strings.Fields(l)
		n, _ := strconv.Atoi(f[1])
		if n != last[f[0]]+1 {
			t.Errorf("line %q logged but never sent", l)
		}
	}
	if len(sentLines) < 200 {
		t.Fatalf("only %d lines sent", len(sentLines))
	}
}

// TestSvscanScan: dot names and plain files are skipped, symlinks to
// directories followed, a directory without run gets one supervise that
// keeps retrying (no crash loop), and SIGALRM makes svscan look at once.
func TestSvscanScan(t *testing.T) {
	q := ours(t)
	base := t.TempDir()
	scan := filepath.Join(base, "service")
	os.MkdirAll(scan, 0755)
	hidden := service(t, scan, ".hidden", "exec sleep 1000")
	envFile := filepath.Join(base, "env")
	elsewhere := service(t, base, "elsewhere", "echo \"$SVSCAN_TEST_MARK\" > "+envFile+"\nexec sleep 1000")
	os.Symlink(elsewhere, filepath.Join(scan, "link"))
	os.WriteFile(filepath.Join(scan, "file"), nil, 0644)
	norun := filepath.Join(scan, "norun")
	os.Mkdir(norun, 0755)

	p := startSvscan(t, q.svscan, scan, fastRestart, "SVSCAN_TEST_MARK=passed on")
	waitUp(t, elsewhere)
	waitFor(t, "the service's environment", 5*time.Second, func() bool { return len(readLines(t, envFile)) == 1 })
	if got := readLines(t, envFile)[0]; got != "passed on" {
		t.Errorf("svscan's environment did not reach ./run: %q", got)
	}
	waitFor(t, "retries of norun", 10*time.Second, func() bool {
		return strings.Count(p.errors(t), "unable to start norun/run: file does not exist") >= 3
	})
	first := supervisePids(t, p.cmd.Process.Pid, "norun")
	if len(first) != 1 || !supervising(norun) {
		t.Fatalf("supervise norun processes: %v", first)
	}
	if _, err := os.Stat(filepath.Join(hidden, "supervise")); !os.IsNotExist(err) {
		t.Fatalf("a dot directory was supervised: %v", err)
	}

	// Wait for a scan to pass, so that only SIGALRM can explain the start.
	late := filepath.Join(scan, "late")
	os.Mkdir(late, 0755)
	writeScript(t, filepath.Join(late, "run"), "exec sleep 1000")
	p.cmd.Process.Signal(syscall.SIGALRM)
	waitFor(t, "late to start after SIGALRM", 4*time.Second, func() bool {
		st, ok := statusOK(late)
		return ok && st.PID != 0
	})
	if again := supervisePids(t, p.cmd.Process.Pid, "norun"); len(again) != 1 || again[0] != first[0] {
		t.Fatalf("supervise norun restarted: %v then %v", first, again)
	}

	// A supervise that dies is started again at the next scan. The
	// service it left behind keeps running, as with daemontools, and is
	// killed here.
	lateSup := supervisePids(t, p.cmd.Process.Pid, "late")
	orphan := readStatus(t, late).PID
	if len(lateSup) != 1 {
		t.Fatalf("supervise late processes: %v", lateSup)
	}
	syscall.Kill(lateSup[0], syscall.SIGKILL)
	waitFor(t, "a new supervise for late", 12*time.Second, func() bool {
		now := supervisePids(t, p.cmd.Process.Pid, "late")
		return len(now) == 1 && now[0] != lateSup[0] && supervising(late)
	})
	syscall.Kill(orphan, syscall.SIGKILL)
	if code := p.stop(t); code != 0 {
		t.Fatalf("svscan exit %d; stderr:\n%s", code, p.errors(t))
	}
	for _, d := range []string{elsewhere, norun, late} {
		if supervising(d) {
			t.Errorf("%s still supervised after svscan's SIGTERM", d)
		}
	}
}

// supervisePids lists the children of parent running "supervise name".
func supervisePids(t *testing.T, parent int, name string) []int {
	t.Helper()
	var pids []int
	for _, pid := range testbin.Children(parent) {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err == nil && string(cmdline) == "supervise\x00"+name+"\x00" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestCompatDebianSvscan: Debian's svscan starts our supervise (found on
// PATH) for a service and its logger, and the service's output reaches the
// log through svscan's pipe.
func TestCompatDebianSvscan(t *testing.T) {
	d := debian(t)
	base := t.TempDir()
	scan := filepath.Join(base, "service")
	logged := filepath.Join(base, "logged")
	dir := service(t, scan, "hello", "echo hello from $PWD\nexec sleep 1000")
	os.Mkdir(filepath.Join(dir, "log"), 0755)
	writeScript(t, filepath.Join(dir, "log", "run"), "exec cat >> "+logged)
	p := startSvscan(t, d.svscan, scan)
	waitFor(t, "the line in the log", 10*time.Second, func() bool { return len(readLines(t, logged)) == 1 })
	if got := readLines(t, logged)[0]; got != "hello from "+dir {
		t.Fatalf("logged %q", got)
	}
	// Debian's svscan dies on SIGTERM without stopping anything: stop the
	// services the daemontools way.
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	svc := ours(t).svc
	run(t, svc, "-dx", dir, filepath.Join(dir, "log"))
	waitFor(t, "both supervise to exit", 10*time.Second, func() bool {
		return !supervising(dir) && !supervising(filepath.Join(dir, "log"))
	})
}

// TestSvscanStopBound: a service that ignores TERM does not keep svscan
// from exiting after SIGTERM: once the grace period is over it is killed.
func TestSvscanStopBound(t *testing.T) {
	q := ours(t)
	base := t.TempDir()
	scan := filepath.Join(base, "service")
	marker := filepath.Join(base, "trapped")
	dir := service(t, scan, "stubborn", "trap '' TERM\necho trapped >> "+marker+"\nexec sleep 1000")
	p := startSvscan(t, q.svscan, scan)
	pid := waitUp(t, dir)
	waitFor(t, "TERM to be ignored", 10*time.Second, func() bool { return len(readLines(t, marker)) > 0 })
	if code := p.stop(t); code != 0 {
		t.Fatalf("svscan exit %d; stderr:\n%s", code, p.errors(t))
	}
	if pidAlive(pid) {
		t.Fatalf("service %d still alive after svscan exited", pid)
	}
	if supervising(dir) {
		t.Fatal("supervise still running after svscan exited")
	}
}
