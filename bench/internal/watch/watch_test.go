package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Files made in the directory and files renamed into it are both seen,
// in order; Close ends the channel.
func TestDirCreateAndRename(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "new")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := Dir(dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "made"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "tmpfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(top, "tmpfile"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"made", "moved"} {
		select {
		case a := <-w.C:
			if a.Name != want || a.At.Before(before) {
				t.Fatalf("got %+v, want %s after %v", a, want, before)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not seen", want)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case a, ok := <-w.C:
		if ok {
			t.Fatalf("arrival %+v after Close", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed after Close")
	}
}
