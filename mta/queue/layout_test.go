package queue

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestOpenSeesSplitChange: Open keeps the split it counted for a mess/
// that has not changed for a while, and counts again for one given more
// subdirectories or made again.
func TestOpenSeesSplitChange(t *testing.T) {
	home := t.TempDir()
	if _, err := Create(home, 5, Self); err != nil {
		t.Fatal(err)
	}
	mess := filepath.Join(Dir(home), "mess")
	open := func(want int32, what string) {
		t.Helper()
		reads := splitReads.Load()
		q, err := Open(home)
		if err != nil || int32(q.Split) != want {
			t.Fatalf("%s: %v %v, want split %d", what, q, err, want)
		}
		t.Logf("%s: mess/ read %d times", what, splitReads.Load()-reads)
	}
	// Just made: counted every time, since it may still change within
	// one timestamp.
	open(5, "new")
	n := splitReads.Load()
	open(5, "new again")
	if splitReads.Load() == n {
		t.Fatal("a mess/ changed a moment ago was not counted again")
	}
	time.Sleep(2100 * time.Millisecond)
	open(5, "settled")
	n = splitReads.Load()
	open(5, "settled again")
	if splitReads.Load() != n {
		t.Fatal("a settled mess/ was read again")
	}
	for _, d := range []string{"5", "6"} {
		if err := os.Mkdir(filepath.Join(mess, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	open(7, "more subdirectories")
	if err := os.RemoveAll(Dir(home)); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(home, 3, Self); err != nil {
		t.Fatal(err)
	}
	open(3, "made again")
}
