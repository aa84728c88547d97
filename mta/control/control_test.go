package control

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func dir(t *testing.T, files map[string]string) Dir {
	t.Helper()
	home := t.TempDir()
	d := Open(home)
	if err := os.MkdirAll(d.Path, 0755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(d.Path, name), []byte(body), 0644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestLine(t *testing.T) {
	d := dir(t, map[string]string{
		"me":         "mail.example.com \t\r\nsecond line\n",
		"empty":      "",
		"nonewline":  "host.example",
		"databytes":  "  1000\n",
		"badnumber":  "10k\n",
		"negative":   "-1\n",
		"rcpthosts":  "# comment\nexample.com\n\n  \nexample.org  \n#x\n",
		"onlyblanks": "\n\n",
	})
	cases := []struct {
		why, name, def, want string
		present              bool
	}{
		{"trailing blanks and CR are dropped", "me", "", "mail.example.com", true},
		{"missing file gives the default", "nosuch", "dflt", "dflt", false},
		{"empty file is an empty setting, not the default", "empty", "dflt", "", true},
		{"last line without newline", "nonewline", "", "host.example", true},
	}
	for _, c := range cases {
		got, present, err := d.Line(c.name, c.def)
		if err != nil || got != c.want || present != c.present {
			t.Errorf("%s: Line(%s) = %q, %v, %v", c.why, c.name, got, present, err)
		}
	}
	if n, err := d.Int("databytes", 0); err != nil || n != 1000 {
		t.Errorf("Int(databytes) = %d, %v", n, err)
	}
	if n, err := d.Int("nosuch", 7); err != nil || n != 7 {
		t.Errorf("missing number should give default: %d, %v", n, err)
	}
	for _, bad := range []string{"badnumber", "negative", "onlyblanks"} {
		if _, err := d.Int(bad, 0); err == nil {
			t.Errorf("Int(%s) accepted a bad number", bad)
		}
	}
	got, err := d.Lines("rcpthosts")
	// Comments, empty lines and lines of blanks are not entries.
	if want := []string{"example.com", "example.org"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Lines = %q, %v", got, err)
	}
	if _, err := d.Required("nosuch"); !errors.Is(err, ErrMissing) {
		t.Errorf("Required on a missing file: %v", err)
	}
}

func TestUnreadableIsAnError(t *testing.T) {
	d := dir(t, nil)
	// A directory where a file should be cannot be read: that must be a
	// temporary error, never the default silently.
	if err := os.Mkdir(filepath.Join(d.Path, "me"), 0755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Line("me", "x"); err == nil {
		t.Fatal("a control file that cannot be read was taken as missing")
	}
}

func FuzzControl(f *testing.F) {
	f.Add([]byte("example.com\n# c\n\n x \t\r\n"))
	f.Add([]byte("123"))
	f.Add([]byte{0, '\n', 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = FirstLine(b)
		for _, l := range ListLines(b) {
			if l == "" || l[0] == '#' {
				t.Fatalf("list kept %q", l)
			}
		}
		_, _ = ParseInt(FirstLine(b))
	})
}

func TestListSaysPresent(t *testing.T) {
	home := t.TempDir()
	d := Open(home)
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := d.List("rcpthosts"); l != nil || ok || err != nil {
		t.Fatalf("missing: %v %v %v", l, ok, err)
	}
	if err := os.WriteFile(filepath.Join(d.Path, "rcpthosts"), []byte("# none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := d.List("rcpthosts"); len(l) != 0 || !ok || err != nil {
		t.Fatalf("empty list: %v %v %v", l, ok, err)
	}
	if err := os.WriteFile(filepath.Join(d.Path, "rcpthosts"), []byte("a.example\n.b.example \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := d.List("rcpthosts"); len(l) != 2 || l[1] != ".b.example" || !ok || err != nil {
		t.Fatalf("list: %q %v %v", l, ok, err)
	}
}
