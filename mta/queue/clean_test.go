package queue

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestServeClean(t *testing.T) {
	q := newQueue(t, 3)
	id, err := inject(t, q, 0, "m\n", "Fa\x00Tb\x00\x00")
	if err != nil {
		t.Fatal(err)
	}
	n := id.String()
	serve := func(in, want string) {
		t.Helper()
		var out bytes.Buffer
		if err := q.ServeClean(strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("answers %q, want %q", out.String(), want)
		}
	}
	// Preprocessed, as qmail-send leaves it before asking.
	if err := os.WriteFile(q.Info(id), []byte("Fa\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	serve("todo/"+n+"\x00"+ // preprocessed: intd and todo go
		"todo/"+n+"\x00", // again: nothing left to remove is fine
		"++")
	// Delivered: qmail-send removes info itself, then asks.
	if err := os.Remove(q.Info(id)); err != nil {
		t.Fatal(err)
	}
	serve("foop/"+n+"\x00"+ // done: mess goes
		"junk/"+n+"\x00"+ // unknown kind
		"foop/12x\x00"+ // not a number
		"foop\x00"+ // too short
		"todo/"+strings.Repeat("1", 200)+"\x00"+ // too long
		strings.Repeat("z", 5000)+"\x00"+ // longer than the buffer
		"foop/1", // cut off: no answer
		"+xxxxx")
	if got := files(t, q); len(got) != 0 {
		t.Errorf("left %v", got)
	}
}

func FuzzClean(f *testing.F) {
	f.Add([]byte("todo/1\x00foop/2\x00"))
	f.Add([]byte("x\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		q := &Queue{Dir: t.TempDir(), Split: 1}
		var out bytes.Buffer
		q.ServeClean(bytes.NewReader(in), &out)
		if out.Len() > bytes.Count(in, []byte{0}) {
			t.Fatalf("%d answers for %d requests", out.Len(), bytes.Count(in, []byte{0}))
		}
	})
}
