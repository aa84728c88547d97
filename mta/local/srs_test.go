package local_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/mta/srs"
)

// With control/srsdomains naming the recipient's domain, a forward from
// a .qmail leaves with an SRS0 sender of the forwarding domain that
// reverses to the original sender; the report says so in one line. An
// owner's sender in the domain itself, bounces, and domains without a
// line keep their senders.
func TestForwardRewritesTheSenderWithSRS(t *testing.T) {
	r := newRig(t)
	ctl := filepath.Join(r.qhome, "control")
	os.MkdirAll(ctl, 0o755)
	if err := os.WriteFile(filepath.Join(ctl, "srsdomains"), []byte("example.com:topsecret\n!quiet.example:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.file(".qmail-x", "&friend@elsewhere.example\n", 0o600)
	res := r.run(nil)
	if res.code != 0 {
		t.Fatalf("exit %d %q", res.code, res.stderr)
	}
	env, _ := os.ReadFile(filepath.Join(r.capture, "env"))
	sender, _, _ := strings.Cut(strings.TrimPrefix(string(env), "F"), "\x00")
	if !strings.HasPrefix(sender, "SRS0=") || !strings.HasSuffix(sender, "=example.org=sender@example.com") {
		t.Fatalf("envelope %q", env)
	}
	back, err := (&srs.Codec{Secrets: []string{"topsecret"}}).Reverse(sender, time.Now())
	if err != nil || back != "sender@example.org" {
		t.Errorf("%s reverses to %q %v", sender, back, err)
	}
	if want := "srs " + sender + "\ndid 0+1+0\nqp "; !strings.HasPrefix(res.stdout, want) {
		t.Errorf("report %q, want it to start %q", res.stdout, want)
	}

	for _, c := range []struct{ why, host, sender, want string }{
		{"a bounce", "example.com", "", ""},
		{"the domain's own sender", "example.com", "joe@example.com", "joe@example.com"},
		{"rewriting turned off", "quiet.example", "sender@example.org", "sender@example.org"},
		{"a domain without a line", "other.example", "sender@example.org", "sender@example.org"},
	} {
		res := r.runArgs(nil, "joe", r.home, "joe-x", "-", "x", c.host, c.sender, "./Mailbox")
		env, _ := os.ReadFile(filepath.Join(r.capture, "env"))
		if res.code != 0 || !strings.HasPrefix(string(env), "F"+c.want+"\x00") || strings.Contains(res.stdout, "srs ") {
			t.Errorf("%s: exit %d, envelope %q, report %q", c.why, res.code, env, res.stdout)
		}
	}
}
