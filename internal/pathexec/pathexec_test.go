package pathexec

import (
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
	os.Mkdir(filepath.Join(other, "sub"), 0o755)
	os.WriteFile(filepath.Join(other, "file"), nil, 0o755)
	for _, c := range []struct {
		why, prog, path string
		want            string
		err             error
	}{
		{"a file that may not be run is passed over", "prog", other + ":" + dir, dir + "/prog", nil},
		{"a name with a slash is used as it is", "./x/prog", other, "./x/prog", nil},
		{"found nowhere", "missing", other, "", syscall.ENOENT},
		{"access denied is kept over a later file does not exist", "prog", other + ":/nonexistent", "", syscall.EACCES},
		{"a directory is access denied", "sub", other, "", syscall.EACCES},
		{"a path through a file ends the search", "prog", other + "/file:" + dir, "", syscall.ENOTDIR},
	} {
		got, err := Lookup(c.prog, []string{"PATH=" + c.path})
		if got != c.want || err != c.err {
			t.Errorf("%s: Lookup(%s) = %q, %v; want %q, %v", c.why, c.prog, got, err, c.want, c.err)
		}
	}
}

// Run returns only on failure, so only failures can be tested here; the
// programs' compat tests run the successes beside Debian's.
func TestRunFailures(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "prog")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o755)
	for _, c := range []struct {
		why  string
		prog string
		path string
		want error
	}{
		{"on no PATH directory", "missing", t.TempDir(), syscall.ENOENT},
		{"a non-executable file: access denied kept over the earlier file does not exist", "prog", "/nonexistent:" + dir, syscall.EACCES},
		{"and over a later one", "prog", dir + ":/nonexistent", syscall.EACCES},
		{"not a directory ends the search at once", "prog", dir + "/file:" + dir, syscall.ENOTDIR},
	} {
		if err := Run(c.prog, []string{"x"}, nil, []string{"PATH=" + c.path}); err != c.want {
			t.Errorf("%s: %v, want the bare %v", c.why, err, c.want)
		}
	}
	if err := Exec(nil, nil); err == nil {
		t.Error("Exec with no argv succeeded")
	}
	if err := Exec([]string{"missing"}, []string{"PATH=" + dir}); err != syscall.ENOENT {
		t.Errorf("Exec of a missing program: %v, want the bare ENOENT", err)
	}
}
