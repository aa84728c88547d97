package pathexec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestSearchPath(t *testing.T) {
	for _, c := range []struct {
		why  string
		env  []string
		want []string
	}{
		{"no PATH: djb's default", nil, []string{"/bin", "/usr/bin"}},
		{"PATH as given", []string{"PATH=/a:/b"}, []string{"/a", "/b"}},
		{"empty entries are the current directory", []string{"PATH=:/a::"}, []string{".", "/a", ".", "."}},
		{"an empty PATH is the current directory", []string{"PATH="}, []string{"."}},
	} {
		if got := searchPath(c.env); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.why, got, c.want)
		}
	}
}

func TestLookup(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(other, "prog"), []byte("#!/bin/sh\n"), 0o644) // not executable: passed over
	os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\n"), 0o755)
	env := []string{"PATH=" + other + ":" + dir}
	if got, err := Lookup("prog", env); err != nil || got != dir+"/prog" {
		t.Errorf("Lookup(prog) = %q, %v; want %s/prog", got, err, dir)
	}
	if got, err := Lookup("./x/prog", env); err != nil || got != "./x/prog" {
		t.Errorf("a name with a slash is used as it is: %q, %v", got, err)
	}
	if _, err := Lookup("missing", env); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing program: %v, want ENOENT", err)
	}
}

// ExecAs returns only on failure, so only failures can be tested here.
func TestExecFailures(t *testing.T) {
	env := []string{"PATH=" + t.TempDir()}
	if err := ExecAs("missing", []string{"x"}, env); err != syscall.ENOENT {
		t.Errorf("ExecAs of a program on no PATH directory: %v, want the bare ENOENT", err)
	}
	var pe *os.PathError
	if err := Exec([]string{"missing"}, env); !errors.As(err, &pe) || pe.Err != syscall.ENOENT || pe.Path != "missing" {
		t.Errorf("Exec of a missing program: %v, want exec missing: ENOENT", err)
	}
	if err := Exec(nil, env); err == nil {
		t.Error("Exec with no argv succeeded")
	}
	noexec := filepath.Join(t.TempDir(), "prog")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	if err := ExecAs("prog", []string{"prog"}, []string{"PATH=/nonexistent:" + filepath.Dir(noexec)}); err != syscall.EACCES {
		t.Errorf("a non-executable file: %v, want EACCES kept over the earlier ENOENT", err)
	}
}
