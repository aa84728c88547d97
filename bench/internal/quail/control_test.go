package quail

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// The extra control files are in place for qmail-send's start, and
// Start's own files win over a name given twice.
func TestStartWithControl(t *testing.T) {
	bin := testbin.Dir(t, programs...)
	in, err := StartWithControl(t.TempDir(), bin, map[string]string{
		"concurrencyremote": "7",
		"smtproutes":        ":127.0.0.1:2525",
		"me":                "elsewhere.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	for name, want := range map[string]string{
		"concurrencyremote": "7\n",
		"smtproutes":        ":127.0.0.1:2525\n",
		"me":                "localhost\n",
	} {
		b, err := os.ReadFile(filepath.Join(in.Home, "control", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("control/%s = %q, want %q", name, b, want)
		}
	}
}
