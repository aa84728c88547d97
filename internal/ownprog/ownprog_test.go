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
		if got, _ := For("qmail-remote").Is(c.path); got != c.want {
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
	if ok, _ := c.Is(path); !ok {
		t.Fatal("quail's qmail-remote not recognised")
	}
	install([]byte("#!/bin/sh\nexec true\n"), base.Add(time.Second))
	if ok, _ := c.Is(path); ok {
		t.Fatal("a wrapper installed in its place still counted as quail's")
	}
	install(own, base.Add(2*time.Second))
	if ok, fi := c.Is(path); !ok || fi == nil {
		t.Fatal("quail's qmail-remote put back not recognised")
	}
}

// A set-uid or set-gid copy is quail's program but would change the
// caller's credentials: it must be started.
func TestInProcess(t *testing.T) {
	b, err := os.ReadFile(testbin.Path(t, "qmail-queue"))
	if err != nil {
		t.Fatal(err)
	}
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
		if err := os.WriteFile(path, b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		if got := For("qmail-queue").InProcess(path); got != c.want {
			t.Errorf("mode %v: %v, want %v", c.mode, got, c.want)
		}
	}
}
