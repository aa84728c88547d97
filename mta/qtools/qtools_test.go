package qtools

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/queue"
)

func runTool(t *testing.T, home string, main func(*cli.Invocation) int, args ...string) (string, string, int) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	inv := &cli.Invocation{Name: "qmail-qtool", Args: append([]string{"qmail-qtool"}, args...),
		Env: []string{"QMAILHOME=" + home}, Stdout: out, Stderr: &stderr}
	code := main(inv)
	b, _ := os.ReadFile(out.Name())
	return string(b), stderr.String(), code
}

func TestFormatQread(t *testing.T) {
	m := Message{ID: 42, Birth: time.Date(1996, 7, 28, 0, 20, 9, 0, time.UTC), Bytes: 1433, Sender: "a@b",
		Recipients: []Recipient{{"remote", "x@y", false}, {"local", "z@w", true}}, Bouncing: true}
	want := "28 Jul 1996 00:20:09 GMT  #42  1433  <a@b>  bouncing\n\t\tremote\tx@y\n\tdone\tlocal\tz@w\n"
	if got := FormatQread(m); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// TestOffline works on a queue whose qmail-send is not running: the tool
// takes lock/sendmutex itself and removes the files.
func TestOffline(t *testing.T) {
	home := t.TempDir()
	// A single-user instance: the queue belongs to whoever makes it, root
	// included.
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "singleuser"), nil, 0o644)
	if _, _, code := runTool(t, home, Qtool, "create", "-s", "5"); code != 0 {
		t.Fatalf("create exit %d", code)
	}
	q, err := queue.Open(home)
	if err != nil || q.Split != 5 {
		t.Fatalf("queue after create: %v %v", q, err)
	}
	in := &queue.Injector{Q: q, PID: 9, UID: 9}
	id, err := in.Inject(strings.NewReader("Subject: s\n\nb\n"), strings.NewReader("Fa@b\x00Tc@d\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ := runTool(t, home, Qstat)
	if out != "messages in queue: 1\nmessages in queue but not yet preprocessed: 1\n" {
		t.Errorf("qstat: %q", out)
	}
	out, _, _ = runTool(t, home, Qtool, "list")
	if !strings.HasPrefix(out, id.String()+" todo ") {
		t.Errorf("list: %q", out)
	}
	out, _, code := runTool(t, home, Qtool, "show", id.String())
	if code != 0 || !strings.Contains(out, "\t\tunrouted\tc@d\n") || !strings.Contains(out, "Subject: s\n") {
		t.Errorf("show: %d %q", code, out)
	}
	if _, _, code := runTool(t, home, Qtool, "remove", id.String()); code != 0 {
		t.Errorf("remove exit %d", code)
	}
	for _, d := range []string{"mess", "todo", "intd"} {
		filepath.Walk(q.Path(d), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				t.Errorf("left %s", p)
			}
			return nil
		})
	}
	for _, c := range []struct {
		why  string
		args []string
		code int
	}{
		{"nothing to do", nil, 100},
		{"unknown command", []string{"frobnicate"}, 100},
		{"show needs one id", []string{"show"}, 100},
		{"id not a number", []string{"remove", "x1"}, 100},
		{"no such message", []string{"show", "12345"}, 100},
		{"removing what is not there", []string{"remove", "12345"}, 100},
		{"bad split", []string{"create", "-s", "0"}, 100},
	} {
		if _, _, code := runTool(t, home, Qtool, c.args...); code != c.code {
			t.Errorf("%s: exit %d, want %d", c.why, code, c.code)
		}
	}
	if _, stderr, code := runTool(t, t.TempDir(), Qread); code != 111 || !strings.Contains(stderr, "qmail-qtool: fatal: unable to open queue") {
		t.Errorf("qread without queue: %d %q", code, stderr)
	}
}
