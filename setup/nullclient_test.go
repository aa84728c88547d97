package setup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/ucspi/rules"
)

// nullConfig is a single-user null client of servers under dir.
func nullConfig(dir, bin string, servers ...string) *Config {
	c := singleUser(dir, bin)
	c.DemoHome = ""
	c.NullClient = servers
	return c
}

// TestNullClient is the null client of qmail's documentation (the
// seeds' "Configuring a null client": bin/qmail-queue a link to
// qmail-qmqpc, control/qmqpservers, an empty control/locals): made by -n,
// with no services, unchanged by a second run, clean in check mode.
func TestNullClient(t *testing.T) {
	dir := t.TempDir()
	bin := fakeBin(t, append(allPrograms(), "qmail-qmqpc")...)
	var out bytes.Buffer
	r, err := Setup(nullConfig(dir, bin, "198.18.0.10", "198.18.0.11:6628"), &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(r.Services) != 0 || !strings.Contains(out.String(), "quail-setup: null client of 198.18.0.10, 198.18.0.11:6628: no services\n") {
		t.Errorf("services %v, want none and the note:\n%s", r.Services, out.String())
	}
	for rel, text := range map[string]string{
		"qmail/control/qmqpservers": "198.18.0.10\n198.18.0.11:6628\n",
		"qmail/control/locals":      "",
		"qmail/control/rcpthosts":   "",
		"qmail/control/me":          "localhost\n",
	} {
		if b, err := os.ReadFile(filepath.Join(dir, rel)); err != nil || string(b) != text {
			t.Errorf("%s = %q (%v), want %q", rel, b, err, text)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "qmail", "bin", "qmail-queue")); err != nil || target != filepath.Join(bin, "qmail-qmqpc") {
		t.Errorf("bin/qmail-queue -> %q (%v), want %s", target, err, filepath.Join(bin, "qmail-qmqpc"))
	}
	for _, p := range []string{"service", "qmail/control/servercert.pem"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("a null client got %s", p)
		}
	}

	before := snapshot(t, dir)
	out.Reset()
	if r, err := Setup(nullConfig(dir, bin, "198.18.0.10", "198.18.0.11:6628"), &out); err != nil || r.Changes != 0 {
		t.Errorf("second run: %d changes, %v:\n%s", r.Changes, err, out.String())
	}
	if after := snapshot(t, dir); len(after) != len(before) {
		t.Errorf("the second run changed the tree: %d files, then %d", len(before), len(after))
	}

	// Check mode knows a null client by its qmail-queue, without -n.
	out.Reset()
	c := singleUser(dir, bin)
	c.DemoHome = ""
	if n, err := Check(c, &out); err != nil || n != 0 {
		t.Errorf("check: %d problems, %v:\n%s", n, err, out.String())
	}
}

// TestNullClientCheck: each thing that breaks a null client is one
// problem in check mode.
func TestNullClientCheck(t *testing.T) {
	for _, tc := range []struct {
		why   string
		spoil func(home string)
		want  string
	}{
		{"qmqpservers emptied", func(home string) {
			os.WriteFile(filepath.Join(home, "control", "qmqpservers"), []byte("# none\nnot-an-address\n"), 0o644)
		}, "problem: control/qmqpservers names no QMQP server; "},
		{"qmqpservers removed", func(home string) { os.Remove(filepath.Join(home, "control", "qmqpservers")) },
			"problem: control/qmqpservers names no QMQP server; "},
	} {
		t.Run(tc.why, func(t *testing.T) {
			dir := t.TempDir()
			bin := fakeBin(t, append(allPrograms(), "qmail-qmqpc")...)
			if _, err := Setup(nullConfig(dir, bin, "198.18.0.10"), &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			tc.spoil(filepath.Join(dir, "qmail"))
			var out bytes.Buffer
			n, err := Check(nullConfig(dir, bin, "198.18.0.10"), &out)
			if err != nil || n != 1 || !strings.Contains(out.String(), tc.want) {
				t.Errorf("%d problems (%v), want 1 with %q:\n%s", n, err, tc.want, out.String())
			}
		})
	}

	// An instance made before -n keeps its qmail-queue; setup says so
	// and check mode reports it.
	dir := t.TempDir()
	bin := fakeBin(t, append(allPrograms(), "qmail-qmqpc")...)
	c := singleUser(dir, bin)
	c.DemoHome = ""
	if _, err := Setup(c, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Setup(nullConfig(dir, bin, "198.18.0.10"), &out); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "qmail", "bin", "qmail-queue")
	if !strings.Contains(out.String(), "warning: kept "+q+", which is not qmail-qmqpc: ") {
		t.Errorf("no warning about the kept qmail-queue:\n%s", out.String())
	}
	out.Reset()
	n, err := Check(nullConfig(dir, bin, "198.18.0.10"), &out)
	if err != nil || n != 1 || !strings.Contains(out.String(), "problem: "+q+" is not a link to qmail-qmqpc; ") {
		t.Errorf("%d problems (%v), want the one about qmail-queue:\n%s", n, err, out.String())
	}
}

func TestNullClientRefusals(t *testing.T) {
	dir := t.TempDir()
	if _, err := Setup(nullConfig(dir, fakeBin(t, allPrograms()...), "198.18.0.10"), &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "a null client needs qmail-qmqpc in ") {
		t.Errorf("without qmail-qmqpc: %v", err)
	}
	for _, bad := range []string{"hub.example", "198.18.0.10:0", "[::1]"} {
		if _, err := Setup(nullConfig(t.TempDir(), fakeBin(t, "qmail-qmqpc"), bad), &bytes.Buffer{}); err == nil ||
			!strings.Contains(err.Error(), "bad QMQP server") {
			t.Errorf("-n %s: %v, want it refused", bad, err)
		}
	}
	c := singleUser(t.TempDir(), fakeBin(t, allPrograms()...))
	c.QMQPFrom = []string{"198.18.0.:allow"}
	if _, err := Setup(c, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "bad QMQP client address") {
		t.Errorf("-q with a rule instead of an address: %v", err)
	}
}

// TestQMQPHub: -q admits the null clients to qmqpd (the seeds' hub,
// "tcpserver ... -x /var/qmail/etc/qmqpd/rules.cdb ... qmail-qmqpd"),
// besides 127.0.0.1, and nobody else.
func TestQMQPHub(t *testing.T) {
	dir := t.TempDir()
	c := singleUser(dir, fakeBin(t, allPrograms()...))
	c.QMQPFrom = []string{"198.18.0.", "10.1.2.3"}
	if _, err := Setup(c, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "qmail", "tcp", "qmqp")
	if b, err := os.ReadFile(src); err != nil || string(b) != "127.0.0.1:allow\n198.18.0.:allow\n10.1.2.3:allow\n:deny\n" {
		t.Errorf("tcp/qmqp = %q (%v)", b, err)
	}
	for ip, deny := range map[string]bool{"127.0.0.1": false, "198.18.0.41": false, "10.1.2.3": false, "10.1.2.4": true, "198.19.0.1": true} {
		d, err := rules.LookupFile(src+".cdb", rules.Query{IP: ip})
		if err != nil || d.Deny != deny {
			t.Errorf("%s: %+v %v, want deny %v", ip, d, err, deny)
		}
	}
}
