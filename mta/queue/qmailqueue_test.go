package queue

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/testbin"
)

// runQmailQueue runs the built qmail-queue with msg on fd 0 and env on
// fd 1 and returns its exit code and what it printed.
func runQmailQueue(t *testing.T, home string, msg *os.File, env string) (int, string) {
	t.Helper()
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(t, "qmail-queue"))
	cmd.Env = []string{"QMAILHOME=" + home}
	cmd.Stdin = msg
	cmd.Stdout = er
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	er.Close()
	go func() { ew.Write([]byte(env)); ew.Close() }()
	code := testbin.ExitCode(t, cmd.Wait())
	return code, stderr.String()
}

func messageFile(t *testing.T, body string) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "msg")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestQmailQueueProgram(t *testing.T) {
	home := t.TempDir()
	q, err := Create(home, 23, Self)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		why   string
		home  string
		env   string
		code  int
		files int
	}{
		{"a message is queued", home, "Fa@b\x00Tc@d\x00\x00", ExitOK, 3},
		{"envelope format error", home, "Xa\x00\x00", ExitEnvelope, 0},
		{"envelope ends before the final NUL", home, "Fa@b\x00Tc@d\x00", ExitRead, 0},
		{"no qmail home", filepath.Join(home, "nonexistent"), "Fa\x00\x00", ExitHome, 0},
		{"home without a queue", t.TempDir(), "Fa\x00\x00", ExitQueueDir, 0},
	} {
		before := len(files(t, q))
		code, stderr := runQmailQueue(t, c.home, messageFile(t, "Subject: x\n\nhello\n"), c.env)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d", c.why, code, c.code)
		}
		if stderr != "" {
			t.Errorf("%s: qmail-queue printed %q; it prints nothing", c.why, stderr)
		}
		if got := len(files(t, q)) - before; got != c.files {
			t.Errorf("%s: %d new files, want %d", c.why, got, c.files)
		}
	}
}

// TestQmailQueueDiskFull fills a small tmpfs: qmail-queue must exit 53
// and leave neither pid/ nor mess/ nor intd/ files behind.
func TestQmailQueueDiskFull(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	home := filepath.Join(t.TempDir(), "home")
	os.Mkdir(home, 0o755)
	if err := syscall.Mount("tmpfs", home, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(home, syscall.MNT_DETACH) })
	q, err := Create(home, 3, Self)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	code, _ := runQmailQueue(t, home, messageFile(t, big), "Fa\x00Tb\x00\x00")
	if code != ExitWrite {
		t.Errorf("exit %d on a full disk, want %d", code, ExitWrite)
	}
	if got := files(t, q); len(got) != 0 {
		t.Errorf("left %v in the queue", got)
	}
	// The space came back: a small message still gets in.
	code, _ = runQmailQueue(t, home, messageFile(t, "small\n"), "Fa\x00Tb\x00\x00")
	if code != ExitOK {
		t.Errorf("after the failure a small message exits %d", code)
	}
}

// TestQmailQueueTimeout: a caller that never finishes the message gets
// exit 52 once the limit passes, and the queue is left clean.
func TestQmailQueueTimeout(t *testing.T) {
	home := t.TempDir()
	q, err := Create(home, 3, Self)
	if err != nil {
		t.Fatal(err)
	}
	old := Death
	Death = 300 * time.Millisecond
	defer func() { Death = old }()
	mr, mw, _ := os.Pipe()
	er, ew, _ := os.Pipe()
	defer mw.Close()
	defer ew.Close()
	mw.Write([]byte("Subject: half a message\n"))
	inv := &cli.Invocation{Name: "qmail-queue", Args: []string{"qmail-queue"}, Env: []string{"QMAILHOME=" + home},
		Stdin: mr, Stdout: er, Stderr: io.Discard}
	if code := QmailQueue(inv); code != ExitTimeout {
		t.Errorf("exit %d, want %d", code, ExitTimeout)
	}
	if got := files(t, q); len(got) != 0 {
		t.Errorf("left %v", got)
	}
}

// TestReceivedFromNetworkInSingleUser: in a single-user instance the
// uid says nothing, so a caller with TCPREMOTEIP set is the network.
func TestReceivedFromNetworkInSingleUser(t *testing.T) {
	for _, c := range []struct {
		why    string
		single bool
		env    []string
		want   string
	}{
		{"single-user, UCSPI environment", true, []string{"TCPREMOTEIP=127.0.0.1"}, "invoked from network)"},
		{"single-user, local caller", true, nil, "invoked by uid "},
		{"privileged instance: only the uid counts", false, []string{"TCPREMOTEIP=127.0.0.1"}, "invoked by uid "},
	} {
		home := t.TempDir()
		if c.single {
			os.Mkdir(filepath.Join(home, "control"), 0o755)
			os.WriteFile(filepath.Join(home, "control", "singleuser"), nil, 0o644)
		}
		q, err := Create(home, 3, Self)
		if err != nil {
			t.Fatal(err)
		}
		er, ew, _ := os.Pipe()
		ew.Write([]byte("Fa\x00Tb\x00\x00"))
		ew.Close()
		inv := &cli.Invocation{Name: "qmail-queue", Args: []string{"qmail-queue"},
			Env: append([]string{"QMAILHOME=" + home}, c.env...), Stdin: messageFile(t, "x\n"), Stdout: er, Stderr: io.Discard}
		if code := QmailQueue(inv); code != 0 {
			t.Fatalf("%s: exit %d", c.why, code)
		}
		er.Close()
		ids, _ := q.Messages()
		b, _ := os.ReadFile(q.Mess(ids[0]))
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %q lacks %q", c.why, b, c.want)
		}
	}
}
