package usertools_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/mta/srs"
)

func srsRig(t *testing.T) (env []string, capture string) {
	env, capture = queueRig(t)
	home := strings.TrimPrefix(env[0], "QMAILHOME=")
	os.MkdirAll(filepath.Join(home, "control"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "srsdomains"), []byte("fwd.example:k1 k0|+|\n!plain.example:\n"), 0o644)
	return env, capture
}

// srsforward: forward(1) with NEWSENDER rewritten for HOST; a HOST
// without SRS bounces, or with -p lets the .qmail file go on.
func TestSRSForward(t *testing.T) {
	env, capture := srsRig(t)
	env = append(env, "NEWSENDER=user@orig.example", "DTLINE=Delivered-To: me@fwd.example\n")
	o := run(t, append(env, "HOST=fwd.example"), "Subject: x\n\nhi\n", "srsforward", "a@elsewhere.example")
	if o.code != 0 || !regexp.MustCompile(`^srsforward: qp \d+\n$`).MatchString(o.stderr) {
		t.Fatalf("%+v", o)
	}
	envl, _ := os.ReadFile(filepath.Join(capture, "env"))
	sender, _, _ := strings.Cut(strings.TrimPrefix(string(envl), "F"), "\x00")
	if !regexp.MustCompile(`^SRS0\+[^=]{4}=[A-Z2-7]{2}=orig\.example=user@fwd\.example$`).MatchString(sender) {
		t.Errorf("envelope %q", envl)
	}
	if back, err := (&srs.Codec{Secrets: []string{"k1"}}).Reverse(sender, time.Now()); err != nil || back != "user@orig.example" {
		t.Errorf("%s reverses to %q %v", sender, back, err)
	}
	o = run(t, append(env, "HOST=plain.example"), "x\n", "srsforward", "a@b")
	if o.code != 100 || o.stderr != "srsforward: fatal: unable to rewrite the sender: no SRS for plain.example in control/srsdomains\n" {
		t.Errorf("-P: %+v", o)
	}
	if o := run(t, append(env, "HOST=plain.example"), "x\n", "srsforward", "-p", "a@b"); o.code != 0 || o.stderr != "" {
		t.Errorf("-p: %+v", o)
	}
	if o := run(t, env, "x\n", "srsforward"); o.code != 100 || !strings.HasPrefix(o.stderr, "srsforward: usage: ") {
		t.Errorf("usage: %+v", o)
	}
}

// srsreverse: the SRS address in DEFAULT (or RECIPIENT) is checked and
// the message forwarded to the address it stands for.
func TestSRSReverse(t *testing.T) {
	env, capture := srsRig(t)
	good, _ := (&srs.Codec{Secrets: []string{"k0"}, Separator: '+'}).Forward("user@orig.example", "fwd.example", time.Now())
	env = append(env, "SENDER=", "DTLINE=Delivered-To: srs@fwd.example\n", "HOST=fwd.example")
	o := run(t, append(env, "RECIPIENT="+good), "Subject: bounce\n\n", "srsreverse")
	if o.code != 0 || !regexp.MustCompile(`^srsreverse: qp \d+\n$`).MatchString(o.stderr) {
		t.Fatalf("%+v", o)
	}
	envl, _ := os.ReadFile(filepath.Join(capture, "env"))
	if string(envl) != "F\x00Tuser@orig.example\x00\x00" {
		t.Errorf("envelope %q", envl)
	}
	local := strings.TrimSuffix(good, "@fwd.example")
	bad := "SRS0+AAAA" + local[9:]
	for _, c := range []struct{ why, env, stderr string }{
		{"forged", "DEFAULT=" + bad, "srsreverse: fatal: unable to reverse " + bad + ": SRS hash does not match\n"},
		{"not an SRS domain", "HOST=plain.example", "srsreverse: fatal: unable to reverse " + local + ": plain.example is no SRS domain of control/srsdomains\n"},
	} {
		o := run(t, append(env, "RECIPIENT="+good, c.env), "x\n", "srsreverse")
		if o.code != 100 || o.stderr != c.stderr {
			t.Errorf("%s: %+v", c.why, o)
		}
	}
}
