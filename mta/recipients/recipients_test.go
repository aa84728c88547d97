package recipients

import (
	"os"
	"path/filepath"
	"testing"
)

func home(t *testing.T, recipients, control string) string {
	t.Helper()
	h := t.TempDir()
	os.MkdirAll(filepath.Join(h, "users"), 0755)
	os.MkdirAll(filepath.Join(h, "control"), 0755)
	os.MkdirAll(filepath.Join(h, "bin"), 0755)
	os.WriteFile(filepath.Join(h, "users", "recipients"), []byte(recipients), 0644)
	if control != "" {
		os.WriteFile(filepath.Join(h, "control", "recipients"), []byte(control), 0644)
	}
	return h
}

func TestCDBSource(t *testing.T) {
	h := home(t, "# our users\nDemo@Example.COM\npostmaster@example.com\n@catchall.example\n", "users/recipients.cdb\n")
	if err := Build(h); err != nil {
		t.Fatal(err)
	}
	src, err := Load(h)
	if err != nil || len(src) != 1 {
		t.Fatalf("%v %v", src, err)
	}
	cases := []struct {
		why, addr string
		want      Verdict
	}{
		{"listed, case folded", "demo@example.com", Exists},
		{"listed", "POSTMASTER@example.com", Exists},
		{"unlisted in a listed domain", "nobody@example.com", NoMailbox},
		{"whole domain", "anyone@catchall.example", Exists},
		{"domain the cdb does not know", "x@elsewhere.example", Unknown},
		{"no domain at all", "local", Unknown},
	}
	for _, c := range cases {
		if v, err := Check(src, c.addr, nil); v != c.want || err != nil {
			t.Errorf("%s: %v %v", c.why, v, err)
		}
	}
}

func TestProgramSource(t *testing.T) {
	h := home(t, "", "|check arg1\n")
	// Exists for a@x, not responsible for b@x, unknown otherwise; 111 for t@x.
	os.WriteFile(filepath.Join(h, "bin", "check"), []byte(`#!/bin/sh
[ "$1" = arg1 ] || exit 111
a=$(tr '\0' ' ' <&3)
case "$a" in
"a@x   ") exit 0;;
"b@x   ") exit 2;;
"t@x   ") exit 111;;
esac
exit 1
`), 0755)
	src, err := Load(h)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/bin:/usr/bin"}
	for addr, want := range map[string]Verdict{"a@x": Exists, "b@x": Unknown, "c@x": NoMailbox, "t@x": Temporary} {
		if v, _ := Check(src, addr, env); v != want {
			t.Errorf("%s: %v, want %v", addr, v, want)
		}
	}
}

func TestBadLineKeepsOldCDB(t *testing.T) {
	h := home(t, "good@example.com\n", "")
	if err := Build(h); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(h, "users", "recipients"), []byte("good@example.com\nnot an address\n"), 0644)
	err := Build(h)
	if err == nil || !isParse(err) {
		t.Fatalf("bad line: %v", err)
	}
	src := []Source{{CDB: filepath.Join(h, "users", "recipients.cdb")}}
	if v, _ := Check(src, "good@example.com", nil); v != Exists {
		t.Fatalf("old cdb lost")
	}
}

func TestNoControlFileMeansNoCheck(t *testing.T) {
	src, err := Load(home(t, "", ""))
	if src != nil || err != nil {
		t.Fatalf("%v %v", src, err)
	}
}

func FuzzCompile(f *testing.F) {
	f.Add("a@b\n@c\n# x\n")
	f.Add("@\n a b@c")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := Compile(splitLines(s))
		if err == nil && len(keys) > 2*len(splitLines(s)) {
			t.Fatalf("%d keys from %q", len(keys), s)
		}
	})
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
