package spawn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/users"
)

// localFixture is a queue holding one message and a stand-in qmail-local
// that prints its arguments and exits with the code in its home's file
// "code".
func localFixture(t *testing.T) (*Local, queue.ID, string) {
	t.Helper()
	home := t.TempDir()
	q, err := queue.Create(home, 3, queue.Self)
	if err != nil {
		t.Fatal(err)
	}
	in := &queue.Injector{Q: q, PID: 1, UID: 1}
	id, err := in.Inject(strings.NewReader("Subject: hi\n\n"), strings.NewReader("Fs@x\x00Tr@y\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	user := t.TempDir()
	prog := filepath.Join(home, "qmail-local")
	script := "#!/bin/sh\necho \"args: $*\"\nhead -1 | sed 's/^/msg: /'\nexit $(cat " + user + "/code)\n"
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	l := &Local{Home: home, Queue: q, DefaultDeliver: "./Maildir/", Program: prog, SingleUser: true,
		Lookup: func(_, local string) (users.Assignment, bool, error) {
			switch local {
			case "nobody":
				return users.Assignment{}, false, nil
			case "root":
				return users.Assignment{User: "root", UID: 0, GID: 0, Home: user}, true, nil
			case "broken":
				return users.Assignment{}, false, errors.New("cdb unreadable")
			}
			return users.Assignment{User: "joe", UID: os.Getuid(), GID: os.Getgid(), Home: user, Dash: "-", Ext: "ext"}, true, nil
		}}
	return l, id, user
}

func TestLocalDeliver(t *testing.T) {
	l, id, user := localFixture(t)
	for _, c := range []struct {
		why    string
		recip  string
		code   string
		single bool
		res    byte
		text   string
	}{
		{"qmail-local gets qmail-lspawn's arguments and the message", "joe-ext@Example.COM", "0", true, Success,
			"args: -- joe " + user + " joe-ext - ext Example.COM s@x ./Maildir/\nmsg: Received: (qmail 1 invoked by uid 1); "},
		{"exit 100: permanent", "joe@h", "100", true, Failure, ""},
		{"exit 111: temporary", "joe@h", "111", true, Deferral, ""},
		{"exit 99: success", "joe@h", "99", true, Success, ""},
		{"nobody takes the address", "nobody@h", "0", true, Failure, "Sorry, no mailbox here by that name. (#5.1.1)"},
		{"lookup trouble is temporary", "broken@h", "0", true, Deferral, "Unable to look up the recipient's user. (#4.3.0)"},
		{"uid 0 refused outside a single-user instance", "root@h", "0", false, Deferral, "Mail to uid 0 is not delivered. (#4.3.0)"},
		{"uid 0 delivered in a single-user instance", "root@h", "0", true, Success, ""},
	} {
		os.WriteFile(filepath.Join(user, "code"), []byte(c.code), 0o644)
		l.SingleUser = c.single
		res, text := l.Deliver(Request{Delnum: 1, ID: id, Sender: "s@x", Recip: c.recip})
		if res != c.res || (c.text != "" && !strings.HasPrefix(text, c.text)) {
			t.Errorf("%s: %c %q, want %c %q", c.why, res, text, c.res, c.text)
		}
	}
	res, text := l.Deliver(Request{Delnum: 1, ID: 999999999, Sender: "s@x", Recip: "joe@h"})
	if res != Deferral || !strings.Contains(text, "message file") {
		t.Errorf("missing message file: %c %q", res, text)
	}
}
