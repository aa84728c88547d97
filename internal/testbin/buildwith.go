package testbin

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/quail-mta/quail/internal/rtlimit"
)

// BuildWith builds the named program with extra -X settings (each
// "importpath.Name=value", as the Makefile sets the qmail home) into a
// directory of the test's own and returns its path. It is for a setting
// that is fixed at build time, such as splogger's syslog socket, which a
// test must point at a socket of its own.
func BuildWith(t testing.TB, program string, settings ...string) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	// Linked as Path and the Makefile link every program.
	ldflags := rtlimit.LinkFlags(runtime.GOOS, runtime.GOARCH)
	for _, s := range settings {
		ldflags += " -X " + s
	}
	out := filepath.Join(t.TempDir(), program)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./cmd/"+program)
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testbin: %v", &buildError{program, string(msg)})
	}
	return out
}
