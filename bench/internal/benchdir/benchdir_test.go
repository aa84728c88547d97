package benchdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstanceNamesDiffer(t *testing.T) {
	top, err := Top("benchdir-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(top)
	if fi, err := os.Stat(top); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("top %s: %v %v, want mode 0755", top, fi, err)
	}
	a, err := Instance(top, "quail1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Instance(top, "quail1")
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(filepath.Base(a), "quail1-") || filepath.Dir(a) != top {
		t.Fatalf("instances %s and %s below %s", a, b, top)
	}
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("instance %s: %v %v, want mode 0755", a, fi, err)
	}
}
