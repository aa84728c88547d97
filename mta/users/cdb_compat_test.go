package users

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// cdbTool returns freecdb's program (djb's cdb 0.75 tools, Debian package
// freecdb), a reference tool CI installs.
func cdbTool(t *testing.T, name string) string {
	t.Helper()
	return testbin.Peer(t, name)
}

// users/cdb as WriteCDB makes it must be byte for byte what djb's cdbmake
// makes from the same records in the same order, which is what qmail-newu
// (cdbmss) writes; and djb's cdbget must read it.
func TestWriteCDBMatchesCdbmake(t *testing.T) {
	cdbmake := cdbTool(t, "cdbmake")
	cdbget := cdbTool(t, "cdbget")
	texts := map[string]string{
		"sample":   assignText,
		"empty":    ".\n",
		"no wild":  "=a:u:1:2:/h:::\n=B:u:1:2:/h:::\n.\n",
		"many":     manyEntries(300),
		"repeated": "=a:u:1:2:/h:::\n=a:v:3:4:/k:::\n+x-:u:1:2:/h:-::\n+y-:u:1:2:/h:-::\n.\n",
	}
	for name, text := range texts {
		es, err := ParseAssign([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dir := t.TempDir()
		ours := filepath.Join(dir, "ours")
		if err := WriteCDB(ours, es); err != nil {
			t.Fatal(err)
		}
		var in bytes.Buffer
		for _, e := range es {
			fmt.Fprintf(&in, "+%d,%d:%s->%s\n", len(e.Key()), len(e.Value()), e.Key(), e.Value())
		}
		w := wildChars(es)
		fmt.Fprintf(&in, "+0,%d:->%s\n\n", len(w), w)
		theirs := filepath.Join(dir, "theirs")
		cmd := exec.Command(cdbmake, theirs, theirs+".tmp")
		cmd.Stdin = &in
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: cdbmake: %v %s", name, err, out)
		}
		a, _ := os.ReadFile(ours)
		b, _ := os.ReadFile(theirs)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: our users/cdb (%d bytes) differs from cdbmake's (%d bytes)", name, len(a), len(b))
		}
		for _, e := range es {
			if !e.Wildcard {
				continue // exact keys end in NUL, which argv cannot carry
			}
			f, err := os.Open(ours)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(cdbget, string(e.Key()))
			cmd.Stdin = f
			got, err := cmd.Output()
			f.Close()
			if err != nil || !bytes.Equal(got, e.Value()) {
				t.Errorf("%s: cdbget %q on ours = %q, %v; want %q", name, e.Key(), got, err, e.Value())
			}
		}
	}
}

func manyEntries(n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "=user%d:user%d:%d:100:/home/user%d:::\n+user%d-:user%d:%d:100:/home/user%d:-::\n", i, i, 1000+i, i, i, i, 1000+i, i)
	}
	b.WriteString(".\n")
	return b.String()
}
