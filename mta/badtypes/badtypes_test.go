package badtypes

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// The tables the programs write are byte for byte what djb's cdbmake
// (freecdb) writes from the same keys, each with an empty value, in the
// order of the lines; the keys are the first 9 (types) or 5 (loaders)
// characters of each line that is not a comment and is long enough, as
// Spamcontrol's qmail-badmimetypes.c and qmail-badloadertypes.c take
// them.
func TestTablesMatchCdbmake(t *testing.T) {
	cdbmake := testbin.Peer(t, "cdbmake")
	text := "# Windows programs\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQA\nTVpQAAIAA\nshort\n#TVqQAAMAA\nMi5kbGwuZXhl\nTVoAAAAAAAAA\n\nUEsDBBQAA"
	for _, c := range []struct {
		prog string
		t    Table
		want []string
	}{
		{"qmail-badmimetypes", MimeTypes, []string{"TVqQAAMAA", "TVpQAAIAA", "Mi5kbGwuZ", "TVoAAAAAA", "UEsDBBQAA"}},
		{"qmail-badloadertypes", LoaderTypes, []string{"TVqQA", "TVpQA", "short", "Mi5kb", "TVoAA", "UEsDB"}},
	} {
		home := t.TempDir()
		os.Mkdir(filepath.Join(home, "control"), 0o755)
		os.WriteFile(filepath.Join(home, "control", c.t.Name), []byte(text), 0o644)
		cmd := exec.Command(testbin.Path(t, c.prog))
		cmd.Env = []string{"QMAILHOME=" + home}
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Fatalf("%s: %v %q", c.prog, err, out)
		}
		var in bytes.Buffer
		for _, k := range c.want {
			fmt.Fprintf(&in, "+%d,0:%s->\n", len(k), k)
		}
		in.WriteString("\n")
		theirs := filepath.Join(t.TempDir(), "theirs")
		mk := exec.Command(cdbmake, theirs, theirs+".tmp")
		mk.Stdin = &in
		if out, err := mk.CombinedOutput(); err != nil {
			t.Fatalf("cdbmake: %v %s", err, out)
		}
		ours, _ := os.ReadFile(filepath.Join(home, "control", c.t.Name+".cdb"))
		want, _ := os.ReadFile(theirs)
		if !bytes.Equal(ours, want) {
			t.Errorf("%s: table (%d bytes) differs from cdbmake's for %q (%d bytes)", c.prog, len(ours), c.want, len(want))
		}
		if st, _ := os.Stat(filepath.Join(home, "control", c.t.Name+".cdb")); st == nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 644", c.prog, st)
		}
		if _, err := os.Stat(filepath.Join(home, "control", c.t.Name+".tmp")); err == nil {
			t.Errorf("%s: left its temporary file", c.prog)
		}
	}
}

// Without the text file the table is left alone and the program says why,
// in the classic form, exiting 111.
func TestMissingTextLeavesTable(t *testing.T) {
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	old := filepath.Join(home, "control", "badmimetypes.cdb")
	os.WriteFile(old, []byte("old"), 0o644)
	cmd := exec.Command(testbin.Path(t, "qmail-badmimetypes"))
	cmd.Env = []string{"QMAILHOME=" + home}
	out, err := cmd.CombinedOutput()
	if code := testbin.ExitCode(t, err); code != 111 || string(out) != "qmail-badmimetypes: fatal: unable to read control/badmimetypes: no such file or directory\n" {
		t.Errorf("exit %d, %q", code, out)
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("the table was touched")
	}
}

func FuzzKeys(f *testing.F) {
	f.Add("TVqQAAMAA\n#x\nshort\n")
	f.Add("\n\n#\nabcdefghijklmnop")
	f.Fuzz(func(t *testing.T, text string) {
		for _, tb := range []Table{MimeTypes, LoaderTypes} {
			tb.Keys(strings.NewReader(text), func(k []byte) error {
				if len(k) != tb.Len || bytes.IndexByte(k, '\n') >= 0 || k[0] == '#' {
					t.Fatalf("key %q", k)
				}
				return nil
			})
		}
	})
}
