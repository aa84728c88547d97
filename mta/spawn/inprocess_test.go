package spawn

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/users"
)

// ownLocalFixture is localFixture with quail's qmail-local as the
// program, so that deliveries that change no uid run in this process.
func ownLocalFixture(t *testing.T) (*Local, func(recip string) (byte, string), string) {
	t.Helper()
	l, id, user := localFixture(t)
	l.Program = testbin.Path(t, "qmail-local")
	l.own = launch.For("qmail-local")
	l.Env = []string{"QMAILHOME=" + l.Home, "PATH=/usr/bin:/bin"}
	os.WriteFile(filepath.Join(l.Home, "control", "me"), []byte("spawn.test\n"), 0o644)
	// joe and joe-anything, as users/assign's "+joe-" would give them.
	l.Lookup = func(_, local string) (users.Assignment, bool, error) {
		a := users.Assignment{User: "joe", UID: os.Getuid(), GID: os.Getgid(), Home: user}
		if ext, ok := strings.CutPrefix(local, "joe-"); ok {
			a.Dash, a.Ext = "-", ext
		}
		return a, true, nil
	}
	deliver := func(recip string) (byte, string) {
		return l.Deliver(Request{Delnum: 1, ID: id, Sender: "s@x", Recip: recip})
	}
	return l, deliver, user
}

func TestLocalInProcess(t *testing.T) {
	l, deliver, user := ownLocalFixture(t)
	for _, d := range []string{"tmp", "new", "cur"} {
		os.MkdirAll(filepath.Join(user, "Maildir", d), 0o700)
	}
	// The default delivery, a program's exit codes through .qmail-ext.
	res, text := deliver("joe@h")
	if res != Success || !strings.HasPrefix(text, "did 1+0+0") {
		t.Fatalf("Maildir delivery: %c %q", res, text)
	}
	if ents, _ := os.ReadDir(filepath.Join(user, "Maildir", "new")); len(ents) != 1 {
		t.Fatalf("Maildir/new holds %d files", len(ents))
	}
	for _, c := range []struct {
		line string
		res  byte
		text string
	}{
		{"|echo bounced; exit 100", Failure, "bounced"},
		{"|echo later; exit 111", Deferral, "later"},
		{"|echo \"$RECIPIENT $EXT\"", Success, "joe-ext@h ext\ndid 0+0+1"},
	} {
		os.WriteFile(filepath.Join(user, ".qmail-ext"), []byte(c.line+"\n"), 0o644)
		res, text := deliver("joe-ext@h")
		if res != c.res || !strings.HasPrefix(text, c.text) {
			t.Errorf("%s: %c %q, want %c %q", c.line, res, text, c.res, c.text)
		}
	}
	if n := l.inside.Load(); n != 4 {
		t.Errorf("%d deliveries ran in this process, want 4", n)
	}
}

// A uid to change means a process: outside a single-user instance, as
// root, qmail-local is started with the recipient's credentials.
func TestLocalStartedForOtherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to deliver as another uid")
	}
	l, deliver, _ := ownLocalFixture(t)
	l.SingleUser = false
	home := t.TempDir()
	for _, d := range []string{filepath.Dir(home), home} {
		os.Chmod(d, 0o755)
	}
	// The build's own directory may be closed to other users: a copy
	// where uid 65534 can run it.
	l.Program = filepath.Join(filepath.Dir(home), "qmail-local")
	testbin.CopyProgram(t, "qmail-local", l.Program, 0o755)
	os.WriteFile(filepath.Join(home, ".qmail"), []byte("|id -u\n"), 0o644)
	os.Chown(home, 65534, 65534)
	l.Lookup = func(_, local string) (users.Assignment, bool, error) {
		return users.Assignment{User: "nobody", UID: 65534, GID: 65534, Home: home}, true, nil
	}
	res, text := deliver("nobody@h")
	if res != Success || !strings.HasPrefix(text, "65534\n") {
		t.Errorf("delivery as uid 65534: %c %q", res, text)
	}
	if l.inside.Load() != 0 {
		t.Errorf("a delivery as uid 65534 ran inside qmail-lspawn (uid 0)")
	}
}

// Many deliveries at once, as qmail-send asks for up to
// concurrencylocal of them (run with -race): each lands once.
func TestLocalInProcessConcurrent(t *testing.T) {
	l, deliver, user := ownLocalFixture(t)
	for _, d := range []string{"tmp", "new", "cur"} {
		os.MkdirAll(filepath.Join(user, "Maildir", d), 0o700)
	}
	deliver("joe@warm") // the first delivery opens what stays open (the users database, ...)
	check := testbin.NoLeaks(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, text := deliver(fmt.Sprintf("joe@h%d", i)); res != Success {
				errs <- fmt.Sprintf("%c %q", res, text)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if ents, _ := os.ReadDir(filepath.Join(user, "Maildir", "new")); len(ents) != n+1 {
		t.Errorf("Maildir/new holds %d files, want %d", len(ents), n+1)
	}
	if l.inside.Load() != n+1 {
		t.Errorf("%d of %d deliveries ran in this process", l.inside.Load(), n+1)
	}
	// A qmail-lspawn runs for weeks: deliveries must leave nothing open.
	check()
}
