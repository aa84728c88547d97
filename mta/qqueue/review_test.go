package qqueue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An address holding a NUL cannot be written into the envelope: the NUL
// would end it there and the rest would be read as further addresses.
func TestNULInEnvelopeRefused(t *testing.T) {
	cases := []struct {
		why    string
		sender string
		rcpts  []string
	}{
		{"sender adds a recipient", "a\x00Tvictim@far", []string{"b@example"}},
		{"recipient splits in two", "a@example", []string{"b\x00Tvictim@far"}},
	}
	for _, c := range cases {
		prog, dir := fakeQueue(t)
		q, err := Start(prog, []string{"DIR=" + dir, "CODE=0", "PATH=/bin:/usr/bin"})
		if err != nil {
			t.Fatal(err)
		}
		q.Write([]byte("x\n"))
		r := q.Close(c.sender, c.rcpts)
		if r.OK() || !r.Permanent() {
			t.Errorf("%s: result %+v, want a permanent refusal", c.why, r)
		}
		if env, _ := os.ReadFile(filepath.Join(dir, "envelope")); strings.Contains(string(env), "victim") {
			t.Errorf("%s: envelope %q reached the queue program", c.why, env)
		}
	}
}

// qmail's qmail_close reports "qq read error" when writing the message
// failed, whatever the program's exit code: a queue program that exits 0
// without reading everything has not queued the message we were sent.
func TestLostMessageWriteIsTemporary(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "qq")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexec 0<&-\nexit 0\n"), 0755); err != nil {
		t.Fatal(err)
	}
	q, err := Start(prog, []string{"PATH=/bin:/usr/bin"})
	if err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat("x", 64<<10))
	for i := 0; i < 8; i++ {
		q.Write(chunk)
	}
	r := q.Close("a@example", []string{"b@example"})
	if r.OK() || r.Permanent() || r.Text != "qq read error (#4.3.0)" {
		t.Fatalf("result %+v, want qq read error", r)
	}
}
