package supervise_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestSvscanboot runs scripts/bin/svscanboot as init would, from a
// directory holding our programs: the service starts with an environment of
// PATH only, that directory first on it; SIGTERM to svscan then ends the
// whole pipeline.
func TestSvscanboot(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script, err := os.ReadFile(filepath.Join(root, "scripts/bin/svscanboot"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bin, "svscanboot"), script, 0755)
	for _, p := range []string{"svscan", "supervise", "svc", "readproctitle"} {
		if err := os.Symlink(testbin.Path(t, p), filepath.Join(bin, p)); err != nil {
			t.Fatal(err)
		}
	}
	base := t.TempDir()
	scan := filepath.Join(base, "service")
	envFile := filepath.Join(base, "env")
	dir := service(t, scan, "a", "env > "+envFile+".tmp\nmv "+envFile+".tmp "+envFile+"\nexec sleep 1000")
	cmd := exec.Command(filepath.Join(bin, "svscanboot"), scan)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "NOT_PASSED=1"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Process.Kill()
		}
	}()
	waitUp(t, dir)
	waitFor(t, "the service's environment", 10*time.Second, func() bool { _, err := os.Stat(envFile); return err == nil })
	env, _ := os.ReadFile(envFile)
	if strings.Contains(string(env), "NOT_PASSED") {
		t.Errorf("svscanboot passed on its environment:\n%s", env)
	}
	if !strings.Contains(string(env), "PATH="+bin+":/command:") {
		t.Errorf("PATH does not start with svscanboot's directory:\n%s", env)
	}
	svscan := findProc(t, "svscan\x00"+scan+"\x00")
	if svscan == 0 {
		t.Fatal("no svscan process")
	}
	syscall.Kill(svscan, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("svscanboot did not end after svscan's SIGTERM")
	}
	if supervising(dir) {
		t.Fatal("service still supervised")
	}
}

// findProc returns the pid of a process with exactly this command line.
func findProc(t *testing.T, cmdline string) int {
	var pid int
	waitFor(t, "process "+strings.ReplaceAll(cmdline, "\x00", " "), 5*time.Second, func() bool {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err == nil && string(b) == cmdline {
				pid = atoi(e.Name())
				return true
			}
		}
		return false
	})
	return pid
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
