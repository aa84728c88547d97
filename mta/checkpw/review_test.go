package checkpw

import (
	"os"
	"path/filepath"
	"testing"
)

// The interface separates its fields by NUL, so a field holding one
// would let the client choose the others: for CRAM-MD5 the user
// "alice\0<old challenge>\0<old digest>" replays a sniffed login.
func TestNULInFieldIsBadWithoutRunning(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "cp")
	ran := filepath.Join(dir, "ran")
	// Good for anything: the verdict must come from Check itself.
	os.WriteFile(prog, []byte("#!/bin/sh\n: > \"$RAN\"\nexit 0\n"), 0755)
	cases := []struct{ why, user, secret, extra string }{
		{"user carries challenge and digest", "alice\x00<1.2@x>\x00abc", "ignored", ""},
		{"password carries the third field", "alice", "pw\x00ts", ""},
		{"extra field holds a NUL", "alice", "pw", "a\x00b"},
	}
	for _, c := range cases {
		v, err := Check([]string{prog}, []string{"RAN=" + ran}, []byte(c.user), []byte(c.secret), []byte(c.extra), nil, nil, nil)
		if v != Bad || err == nil {
			t.Errorf("%s: verdict %v, %v; want Bad with a reason", c.why, v, err)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("%s: the program ran", c.why)
		}
	}
}
