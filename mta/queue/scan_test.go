package queue

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scannerScript is a stand-in virus scanner: it exits 1 (a hit) when the
// file holds the word INFECTED, 2 (a scanner failure) when it holds
// BROKEN, and 0 otherwise.
func scannerScript(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "scan")
	os.WriteFile(p, []byte("#!/bin/sh\nfor f; do :; done\ngrep -q INFECTED \"$f\" && exit 1\ngrep -q BROKEN \"$f\" && exit 2\nexit 0\n"), 0755)
	return p
}

func TestScanner(t *testing.T) {
	scan := scannerScript(t)
	cases := []struct {
		why, body string
		infected  bool
	}{
		{"clean message is queued", "hello\n", false},
		{"a hit refuses the message", "INFECTED\n", true},
		{"a failing scanner lets the message through", "BROKEN\n", false},
	}
	for _, c := range cases {
		q := newQueue(t, 23)
		in := &Injector{Q: q, PID: os.Getpid(), UID: os.Getuid(), Scanner: &Scanner{Argv: []string{scan, "--no-summary"}, HitCode: 1}}
		_, err := in.Inject(strings.NewReader(c.body), strings.NewReader("Fa@b\x00Tc@d\x00\x00"))
		if c.infected {
			if !errors.Is(err, ErrInfected) || Code(err) != ExitRefused {
				t.Errorf("%s: %v (code %d)", c.why, err, Code(err))
			}
			if left := files(t, q); len(left) != 0 {
				t.Errorf("%s: files left in the queue: %v", c.why, left)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.why, err)
		}
	}
}

func TestScannerFromEnv(t *testing.T) {
	env := map[string]string{"QHPSI": "clamdscan --fdpass", "QHPSIARG1": "--no-summary", "QHPSIRC": "3", "QHPSIMAXSIZE": "1000"}
	s := ScannerFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if s == nil || strings.Join(s.Argv, " ") != "clamdscan --fdpass --no-summary" || s.HitCode != 3 || s.MaxSize != 1000 {
		t.Fatalf("%+v", s)
	}
	if ScannerFromEnv(func(string) (string, bool) { return "", false }) != nil {
		t.Fatal("a scanner without QHPSI")
	}
	// Messages over the size limit are not scanned.
	big := &Scanner{Argv: []string{"/bin/false"}, HitCode: 1, MaxSize: 10}
	if err := big.scan("/dev/null", 11); err != nil {
		t.Fatalf("oversized message scanned: %v", err)
	}
}

// QHPSIMINSIZE, as Spamcontrol's qmail-queue reads it: a message smaller
// than it is not scanned (the scanner here would call anything a hit).
func TestQHPSIMinSize(t *testing.T) {
	env := map[string]string{"QHPSI": "/bin/false", "QHPSIMINSIZE": "100"}
	s := ScannerFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if s == nil || s.MinSize != 100 {
		t.Fatalf("%+v", s)
	}
	if err := s.scan("/dev/null", 99); err != nil {
		t.Errorf("a message under QHPSIMINSIZE was scanned: %v", err)
	}
	if err := s.scan("/dev/null", 100); err != ErrInfected {
		t.Errorf("a message of QHPSIMINSIZE was not scanned: %v", err)
	}
}
