package chain

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestEnvValue(t *testing.T) {
	tests := []struct {
		why, in, want string
	}{
		{"a plain line", "value\n", "value"},
		{"no final newline", "value", "value"},
		{"only the first line counts", "one\ntwo\n", "one"},
		{"trailing spaces and tabs go", "v \t \t\n", "v"},
		{"leading blanks stay", "  v", "  v"},
		{"blanks inside stay", "a \t b", "a \t b"},
		{"a NUL becomes a newline", "a\x00b\n", "a\nb"},
		{"a trailing NUL is not a blank", "a \x00", "a \n"},
		{"blanks are trimmed before NULs are converted", "a\x00 \n", "a\n"},
		{"a lone newline gives the empty value", "\n", ""},
		{"blanks only give the empty value", " \t\n", ""},
		{"carriage returns are kept", "a\r\n", "a\r"},
		{"NUL on a later line does not matter", "a\nb\x00", "a"},
	}
	for _, tc := range tests {
		got := string(envValue([]byte(tc.in)))
		if got != tc.want {
			t.Errorf("%s: envValue(%q) = %q, want %q", tc.why, tc.in, got, tc.want)
		}
	}
}

// FuzzEnvValue checks envValue against the rules stated in envdir(8),
// written out independently.
func FuzzEnvValue(f *testing.F) {
	for _, s := range []string{"", "\n", "a", "a b \t\n", "x\x00y", "\x00\x00 ", "a\nb\x00", "\t", strings.Repeat(" ", 300)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, _, _ := bytes.Cut(data, []byte("\n"))
		want = bytes.TrimRight(want, " \t")
		want = bytes.ReplaceAll(want, []byte{0}, []byte("\n"))
		got := envValue(bytes.Clone(data))
		if !bytes.Equal(got, want) {
			t.Fatalf("envValue(%q) = %q, want %q", data, got, want)
		}
	})
}

func TestReadEnvDir(t *testing.T) {
	dir := t.TempDir()
	testbin.WriteFiles(t, dir, map[string]string{
		"SET":     "value  \nignored\n",
		"EMPTY":   "",
		"NL":      "\n",
		".hidden": "x\n",
		"A=B":     "c\n",
	})
	edits, err := readEnvDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(edits)
	want := []string{"A=B=c", "EMPTY", "NL=", "SET=value"}
	if !slices.Equal(edits, want) {
		t.Errorf("edits = %q, want %q", edits, want)
	}
}

func TestReadEnvDirErrors(t *testing.T) {
	tests := []struct {
		why   string
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"a missing directory", func(t *testing.T, dir string) string { return dir + "/missing" }, "unable to switch to directory"},
		{"a file instead of a directory", func(t *testing.T, dir string) string {
			testbin.WriteFiles(t, dir, map[string]string{"f": "x"})
			return dir + "/f"
		}, "unable to switch to directory"},
		{"a subdirectory cannot be read as a value", func(t *testing.T, dir string) string {
			if err := os.Mkdir(dir+"/SUB", 0o755); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "unable to read " + "%s/SUB"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		arg := tc.setup(t, dir)
		_, err := readEnvDir(arg)
		want := tc.want
		if strings.Contains(want, "%s") {
			want = strings.ReplaceAll(want, "%s", dir)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.why, err, want)
		}
	}
}

// A name that vanishes between readdir and open (here a dangling
// symlink) keeps the previous entry's value in the original, because its
// one buffer is not cleared; the value then gains the newline made of the
// buffer's terminating NUL.
func TestReadEnvDirDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	testbin.WriteFiles(t, dir, map[string]string{"A": "one\n"})
	if err := os.Symlink(dir+"/nowhere", dir+"/B"); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	order, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	edits, err := readEnvDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if slices.Index(order, "A") < slices.Index(order, "B") {
		want = []string{"A=one", "B=one\n"}
	} else {
		want = []string{"B", "A=one"}
	}
	if !slices.Equal(edits, want) {
		t.Errorf("directory order %q: edits = %q, want %q", order, edits, want)
	}
}
