package multilog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/cli"
)

// Main run in this process, so that the race detector sees the signal
// goroutine and the unit coverage sees the engine.
func TestMainInProcess(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	long := strings.Repeat("L", 1500)
	os.WriteFile(in, []byte("keep one\ndrop two\nkeep "+long+"\nlast"), 0644)
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	log, status := filepath.Join(dir, "log"), filepath.Join(dir, "status")
	inv := &cli.Invocation{Name: "multilog", Stdin: f, Stderr: &stderr,
		Args: []string{"multilog", "-drop*", "e", "=" + status, "s4096", log}}
	if code := Main(inv); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s := readLog(t, log)
	if s.current != "keep one\nkeep "+long+"\nlast\n" || s.currentMode != 0744 {
		t.Errorf("current %q", s.current)
	}
	want := "keep one\nkeep " + long[:195] + "...\nlast\n"
	if stderr.String() != want {
		t.Errorf("stderr %q", stderr.String())
	}
	st, _ := os.ReadFile(status)
	if len(st) != 1001 || !bytes.HasPrefix(st, []byte("last\n\n\n")) {
		t.Errorf("status %q", st[:10])
	}

	stderr.Reset()
	inv.Args = []string{"multilog", "t", "r1.5"}
	if code := Main(inv); code != 100 || stderr.String() != "multilog: warning: action \"r1.5\": not a number\nmultilog: usage: multilog script\n" {
		t.Errorf("bad script: exit %d, %q", code, stderr.String())
	}
}
