package checkpw

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "cp")
	// A checkpassword stand-in: good when user is "demo" and password
	// "pw", saves what it read; exit code from $CODE otherwise.
	os.WriteFile(prog, []byte(`#!/bin/sh
cat <&3 > "$OUT"
if [ "$(tr '\0' ' ' < "$OUT")" = "demo pw ts " ]; then exec "$@"; fi
exit ${CODE:-1}
`), 0755)
	out := filepath.Join(dir, "fd3")
	cases := []struct {
		why    string
		argv   []string
		user   string
		pass   string
		code   string
		want   Verdict
		hasErr bool
	}{
		{"good login runs the rest of argv", []string{prog, "true"}, "demo", "pw", "", Good, false},
		{"the subprogram's failure is the verdict", []string{prog, "false"}, "demo", "pw", "", Bad, false},
		{"bad password", []string{prog, "true"}, "demo", "no", "", Bad, false},
		{"misuse counts as bad", []string{prog, "true"}, "demo", "no", "2", Bad, false},
		{"111 is temporary", []string{prog, "true"}, "demo", "no", "111", Temporary, true},
		{"missing program is temporary", []string{filepath.Join(dir, "none")}, "demo", "pw", "", Temporary, true},
	}
	for _, c := range cases {
		v, err := Check(c.argv, []string{"OUT=" + out, "CODE=" + c.code, "PATH=/bin:/usr/bin"}, []byte(c.user), []byte(c.pass), []byte("ts"), nil, nil, nil)
		if v != c.want || (err != nil) != c.hasErr {
			t.Errorf("%s: %v, %v", c.why, v, err)
		}
	}
	b, _ := os.ReadFile(out)
	if len(b) == 0 || b[len(b)-1] != 0 {
		t.Errorf("descriptor 3 held %q", b)
	}
	if v, _ := Check([]string{prog}, nil, make([]byte, 600), nil, nil, nil, nil, nil); v != Bad {
		t.Errorf("over-long input was passed on")
	}
}
