package ownprog

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestIs(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	for _, c := range []struct {
		path string
		want bool
	}{
		{testbin.Path(t, "qmail-remote"), true},
		{testbin.Path(t, "qmail-local"), false}, // quail's, but another program
		{script, false},
		{filepath.Join(dir, "missing"), false},
	} {
		if got := For("qmail-remote").Is(c.path); got != c.want {
			t.Errorf("%s: %v, want %v", c.path, got, c.want)
		}
	}
}

// A program replaced under a running caller (a wrapper installed in its
// place) is seen at the next check, and replaced back again.
func TestReplacedProgram(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qmail-remote")
	own, err := os.ReadFile(testbin.Path(t, "qmail-remote"))
	if err != nil {
		t.Fatal(err)
	}
	install := func(b []byte, mtime time.Time) {
		tmp := path + ".new"
		if err := os.WriteFile(tmp, b, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(tmp, mtime, mtime)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	c := For("qmail-remote")
	base := time.Now().Add(-time.Hour)
	install(own, base)
	if !c.Is(path) {
		t.Fatal("quail's qmail-remote not recognised")
	}
	install([]byte("#!/bin/sh\nexec true\n"), base.Add(time.Second))
	if c.Is(path) {
		t.Fatal("a wrapper installed in its place still counted as quail's")
	}
	install(own, base.Add(2*time.Second))
	if !c.Is(path) {
		t.Fatal("quail's qmail-remote put back not recognised")
	}
}

// A set-uid or set-gid copy is quail's program but would change the
// caller's credentials: it must be started.
func TestInProcess(t *testing.T) {
	for _, c := range []struct {
		mode os.FileMode
		want bool
	}{
		{0o755, true},
		{0o755 | os.ModeSetuid, false},
		{0o755 | os.ModeSetgid, false},
		{0o644, false}, // not executable
	} {
		path := filepath.Join(t.TempDir(), "qmail-queue")
		testbin.CopyProgram(t, "qmail-queue", path, c.mode)
		if got := For("qmail-queue").InProcess(path); got != c.want {
			t.Errorf("mode %v: %v, want %v", c.mode, got, c.want)
		}
	}
}

// A chmod leaves the file's identity as it was, and with it the cached
// answer to Is; the set-uid bit it adds must still be seen at once.
func TestInProcessSeesChmod(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmail-queue")
	testbin.CopyProgram(t, "qmail-queue", path, 0o755)
	c := For("qmail-queue")
	if !c.InProcess(path) {
		t.Fatal("quail's qmail-queue, mode 0755, not run in process")
	}
	if err := os.Chmod(path, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if c.InProcess(path) {
		t.Fatal("made set-uid after the first check, still run in process")
	}
}

// One Checker may stand for several programs (tcpserver's reusable
// ones), and Version names the file its answer is for: a copy put in
// place by rename has another identity.
func TestSeveralProgramsAndVersion(t *testing.T) {
	c := For("qmail-smtpd", "rblsmtpd")
	for _, p := range []struct {
		name string
		want bool
	}{{"qmail-smtpd", true}, {"rblsmtpd", true}, {"qmail-local", false}} {
		if got := c.Is(testbin.Path(t, p.name)); got != p.want {
			t.Errorf("%s: %v, want %v", p.name, got, p.want)
		}
	}
	path := filepath.Join(t.TempDir(), "rblsmtpd")
	testbin.CopyProgram(t, "rblsmtpd", path, 0o755)
	id1, own := c.Version(path)
	if !own {
		t.Fatal("a copy of rblsmtpd not recognised")
	}
	if id, _ := c.Version(path); id != id1 {
		t.Error("the same file gave two identities")
	}
	testbin.CopyProgram(t, "rblsmtpd", path, 0o755)
	if id2, own := c.Version(path); !own || id2 == id1 {
		t.Errorf("after a new copy: identity changed %v, own %v", id2 != id1, own)
	}
}

func TestQuailTellsAnyOfQuailsPrograms(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{testbin.Path(t, "addcr"), true},
		{testbin.Path(t, "qmail-smtpd"), true},
		{"/bin/sh", false},
		{"/nonexistent/addcr", false},
	} {
		if got := Quail(tc.path); got != tc.want {
			t.Errorf("Quail(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
