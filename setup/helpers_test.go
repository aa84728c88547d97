package setup

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// allPrograms is every program some service needs.
func allPrograms() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range commonPrograms {
		add(p)
	}
	for _, s := range services {
		for _, p := range s.programs {
			add(p)
		}
	}
	add("checkvpw")
	add("checkpassword")
	return out
}

// fakeBin is a bin directory whose programs are empty scripts: enough
// for setup, which only links them and checks that they exist.
func fakeBin(t *testing.T, programs ...string) string {
	t.Helper()
	d := t.TempDir()
	for _, p := range programs {
		if err := os.WriteFile(filepath.Join(d, p), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// realBin is a bin directory with links to the real programs, so that
// exactly the services whose programs are listed get installed.
func realBin(t *testing.T, programs ...string) string {
	t.Helper()
	d := t.TempDir()
	for _, p := range programs {
		if err := os.Symlink(testbin.Path(t, p), filepath.Join(d, p)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// freePort asks the kernel for a loopback port that is free now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// singleUser is a single-user configuration under dir.
func singleUser(dir, bin string) *Config {
	return &Config{
		Home:       filepath.Join(dir, "qmail"),
		Host:       "localhost",
		ServiceDir: filepath.Join(dir, "service"),
		LogDir:     filepath.Join(dir, "log"),
		BinDir:     bin,
		SingleUser: true,
		DemoHome:   filepath.Join(dir, "home", "demo"),
		Ports:      map[string]int{},
	}
}

// snapshot records every file under dir: type, mode, owner, size, time,
// link target and a hash of the contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d %d %d", fi.Mode(), st.Uid, st.Gid, fi.Size(), fi.ModTime().UnixNano())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond every few milliseconds until it holds or the
// deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func files(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
