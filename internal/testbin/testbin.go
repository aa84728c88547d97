// Package testbin gives end-to-end tests the real programs, built once per
// test process, so that tests run them as an administrator would: as
// separate processes with real descriptors, sockets, FIFOs and files.
//
// When QUAIL_BIN names a directory (the Makefile sets it to ./bin after
// `make build`), the programs there are used as they are. Otherwise each
// program is built on first use into a temporary directory with `go build`.
//
// It also holds what many packages' tests need around those programs, so
// that each need not keep a copy: starting a server with -1 and reading
// its port (StartServer), a child's stderr readable while it runs
// (Output, Start), exit codes (Run, ExitCode), bounded polling
// (Eventually), a qmail-queue stand-in (StandInQueue, SMTPHome), test
// certificates (NewCert) and loopback helpers (TCPPair, SpareLoopback).
//
// Only _test.go files import this package; nothing here reaches the product.
package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/quail-mta/quail/internal/rtlimit"
)

var (
	mu    sync.Mutex
	dir   string
	built = map[string]error{}
)

// Path returns the path of the named program (the name of its cmd/
// directory), building it if needed. A build failure fails the test.
func Path(t testing.TB, program string) string {
	t.Helper()
	if d := os.Getenv("QUAIL_BIN"); d != "" {
		p := filepath.Join(d, program)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if dir == "" {
		d, err := os.MkdirTemp("", "quail-testbin-")
		if err != nil {
			t.Fatalf("testbin: %v", err)
		}
		dir = d
	}
	out := filepath.Join(dir, program)
	err, done := built[program]
	if !done {
		root, rerr := ModuleRoot()
		if rerr != nil {
			t.Fatalf("testbin: %v", rerr)
		}
		// Linked as the Makefile links them: starting at the entry
		// routine that checks the limits the runtime needs.
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", rtlimit.LinkFlags(runtime.GOOS, runtime.GOARCH), "-o", out, "./cmd/"+program)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		msg, berr := cmd.CombinedOutput()
		if berr != nil {
			err = &buildError{program, string(msg)}
		}
		built[program] = err
	}
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	return out
}

// Dir returns a directory holding the named programs, for tests that put
// them on PATH (run scripts call programs by name).
func Dir(t testing.TB, programs ...string) string {
	t.Helper()
	var d string
	for _, p := range programs {
		d = filepath.Dir(Path(t, p))
	}
	return d
}

// ModuleRoot finds the directory holding go.mod, walking up from the
// working directory of the test (its package directory).
func ModuleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", os.ErrNotExist
		}
		d = parent
	}
}

type buildError struct{ program, output string }

func (e *buildError) Error() string { return "go build " + e.program + ": " + e.output }
