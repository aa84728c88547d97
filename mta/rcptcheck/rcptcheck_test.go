package rcptcheck

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/quail-mta/quail/mta/users"
)

func TestCheck(t *testing.T) {
	home := t.TempDir()
	demo := t.TempDir()
	os.Chmod(demo, 0755)
	for dir, files := range map[string]map[string]string{
		filepath.Join(home, "control"): {
			"me":             "mx.example\n",
			"locals":         "localhost\nmx.example\n",
			"virtualdomains": "virtual.example:demo-v\n",
		},
		demo: {
			".qmail-list":      "./Maildir/\n",
			".qmail-v-sales":   "./Maildir/\n",
			".qmail-v-default": "",
		},
	} {
		os.MkdirAll(dir, 0755)
		for name, body := range files {
			os.WriteFile(filepath.Join(dir, name), []byte(body), 0644)
		}
	}
	os.Remove(filepath.Join(demo, ".qmail-v-default"))
	uid, gid := os.Getuid(), os.Getgid()
	assign := "=demo:demo:" + strconv.Itoa(uid) + ":" + strconv.Itoa(gid) + ":" + demo + ":::\n+demo-:demo:" + strconv.Itoa(uid) + ":" + strconv.Itoa(gid) + ":" + demo + ":-::\n.\n"
	entries, err := users.ParseAssign([]byte(assign))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(home, "users"), 0755)
	if err := users.WriteCDB(filepath.Join(home, "users", "cdb"), entries); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		why, addr string
		want      int
	}{
		{"the user", "demo@localhost", Exists},
		{"case does not matter for the domain", "demo@MX.example", Exists},
		{"an extension with its .qmail file", "demo-list@mx.example", Exists},
		{"an extension without one", "demo-nolist@mx.example", NoMailbox},
		{"nobody by that name", "nosuchuser-zz@localhost", NoMailbox},
		{"virtual domain user with a .qmail-v-sales", "sales@virtual.example", Exists},
		{"virtual domain user without one", "bob@virtual.example", NoMailbox},
		{"remote address", "someone@elsewhere.example", NotOurs},
	}
	for _, c := range cases {
		got, err := Check(home, c.addr)
		if got != c.want {
			t.Errorf("%s: %s -> %d (%v), want %d", c.why, c.addr, got, err, c.want)
		}
	}
	// With a catch-all -default, every virtual address exists.
	os.WriteFile(filepath.Join(demo, ".qmail-v-default"), []byte("./Maildir/\n"), 0644)
	if got, _ := Check(home, "bob@virtual.example"); got != Exists {
		t.Errorf("catch-all not honoured: %d", got)
	}
}
