package qqueue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeQueue writes a stand-in for qmail-queue that saves what it reads and
// exits with $CODE, optionally writing $CUSTOM to descriptor 6.
func fakeQueue(t *testing.T) (prog, dir string) {
	t.Helper()
	dir = t.TempDir()
	prog = filepath.Join(dir, "qq")
	script := `#!/bin/sh
cat > "$DIR/message"
cat <&1 > "$DIR/envelope"
[ -n "$CUSTOM" ] && printf '%s' "$CUSTOM" >&6
exit $CODE
`
	if err := os.WriteFile(prog, []byte(script), 0755); err != nil {
		t.Fatal(err)
	}
	return prog, dir
}

func TestQueueStreamsMessageThenEnvelope(t *testing.T) {
	prog, dir := fakeQueue(t)
	q, err := Start(prog, []string{"DIR=" + dir, "CODE=0", "PATH=/bin:/usr/bin"})
	if err != nil {
		t.Fatal(err)
	}
	q.Write([]byte("Subject: x\n\n"))
	q.Write([]byte("body\n"))
	r := q.Close("a@example", []string{"b@example", "c@example"})
	if !r.OK() {
		t.Fatalf("result %+v", r)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "message"))
	env, _ := os.ReadFile(filepath.Join(dir, "envelope"))
	if string(msg) != "Subject: x\n\nbody\n" {
		t.Errorf("message %q", msg)
	}
	if string(env) != "Fa@example\x00Tb@example\x00Tc@example\x00\x00" {
		t.Errorf("envelope %q", env)
	}
}

func TestExitCodes(t *testing.T) {
	prog, dir := fakeQueue(t)
	cases := []struct {
		why    string
		code   string
		custom string
		perm   bool
		text   string
	}{
		{"disk full is temporary", "53", "", false, "qq write error or disk full (#4.3.0)"},
		{"address too long is permanent", "11", "", true, "envelope address too long for qq (#5.1.3)"},
		{"any 11-40 is permanent", "37", "", true, "qq permanent problem (#5.3.0)"},
		{"unknown codes are temporary", "99", "", false, "qq temporary problem (#4.3.0)"},
		{"custom permanent text", "82", "DNo viruses here (#5.7.1)", true, "No viruses here (#5.7.1)"},
		{"custom temporary text", "82", "ZTry later (#4.3.0)", false, "Try later (#4.3.0)"},
	}
	for _, c := range cases {
		q, err := Start(prog, []string{"DIR=" + dir, "CODE=" + c.code, "CUSTOM=" + c.custom, "PATH=/bin:/usr/bin"})
		if err != nil {
			t.Fatal(err)
		}
		q.Write([]byte("x\n"))
		r := q.Close("", []string{"r@example"})
		if r.OK() || r.Permanent() != c.perm || r.Text != c.text {
			t.Errorf("%s: %+v", c.why, r)
		}
	}
}

func TestEarlyExitDoesNotBlockTheWriter(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "qq")
	os.WriteFile(prog, []byte("#!/bin/sh\nexit 71\n"), 0755)
	q, err := Start(prog, []string{"PATH=/bin:/usr/bin"})
	if err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 1<<20))
	for i := 0; i < 4; i++ {
		q.Write(big)
	}
	if r := q.Close("a@b", []string{"c@d"}); r.Code != 71 || r.Permanent() {
		t.Fatalf("result %+v", r)
	}
}
