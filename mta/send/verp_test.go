package send

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestVERPSender pins qmail-send.c's senderadd, edge cases included.
func TestVERPSender(t *testing.T) {
	for _, c := range []struct {
		why, sender, recip, want string
	}{
		{"the VERP form", "owner-@host.example-@[]", "box@dom.example", "owner-box=dom.example@host.example"},
		{"ezmlm's form", "list-return-7-@lists.example-@[]", "joe@far.example", "list-return-7-joe=far.example@lists.example"},
		{"a plain sender is unchanged", "owner@host.example", "box@dom.example", "owner@host.example"},
		{"the null sender is unchanged", "", "box@dom.example", ""},
		{"a double bounce's sender is unchanged", "#@[]", "box@dom.example", "#@[]"},
		{"a recipient without @ leaves it unchanged", "owner-@host-@[]", "box", "owner-@host-@[]"},
		{"no @ before -@[]: unchanged", "owner-@[]", "box@dom", "owner-@[]"},
		{"-@[] alone: unchanged", "-@[]", "box@dom", "-@[]"},
		{"-@[] must end the sender", "owner-@host-@[]x", "box@dom", "owner-@host-@[]x"},
		{"the recipient splits at its last @", "owner-@host-@[]", "a@b@c", "owner-a@b=c@host"},
		{"the sender splits at the last @ before -@[]", "x@y-@host-@[]", "box@dom", "x@y-box=dom@host"},
		{"an empty host stays empty", "owner@-@[]", "box@dom", "ownerbox=dom@"},
		{"an empty prefix", "@host-@[]", "box@dom", "box=dom@host"},
		{"an empty box and domain", "owner-@host-@[]", "@", "owner-=@host"},
	} {
		if got := VERPSender(c.sender, c.recip); got != c.want {
			t.Errorf("%s: VERPSender(%q, %q) = %q, want %q", c.why, c.sender, c.recip, got, c.want)
		}
	}
}

// TestBounceSender pins injectbounce's "owner-@host-@[] -> owner-@host".
func TestBounceSender(t *testing.T) {
	for _, c := range []struct{ why, sender, want string }{
		{"VERP sender: the bounce goes to prefix@host", "owner-@host.example-@[]", "owner-@host.example"},
		{"-@[] alone becomes the null sender (a double bounce)", "-@[]", ""},
		{"one byte before -@[]", "x-@[]", "x"},
		{"a plain sender", "a@b.example", "a@b.example"},
		{"the null sender", "", ""},
		{"the double bounce sender", "#@[]", "#@[]"},
	} {
		if got := BounceSender(c.sender); got != c.want {
			t.Errorf("%s: BounceSender(%q) = %q, want %q", c.why, c.sender, got, c.want)
		}
	}
}

// senderaddC is senderadd as qmail-send.c computes it, index by index
// (i the sender's length, j its last '@' before the last four bytes or
// i-4, k the recipient's last '@' or its length), for the fuzz test to
// hold VERPSender to.
func senderaddC(sender, recip string) string {
	i := len(sender)
	if i < 4 || sender[i-4:] != "-@[]" {
		return sender
	}
	j := strings.LastIndexByte(sender[:i-4], '@')
	if j < 0 {
		j = i - 4
	}
	k := strings.LastIndexByte(recip, '@')
	if k < 0 || j+5 > i {
		return sender
	}
	return sender[:j] + recip[:k] + "=" + recip[k+1:] + "@" + sender[j+1:j+1+(i-5-j)]
}

func FuzzVERPSender(f *testing.F) {
	f.Add("owner-@host-@[]", "box@dom")
	f.Add("-@[]", "a@b")
	f.Add("@-@[]", "@")
	f.Add("a@b", "c")
	f.Fuzz(func(t *testing.T, sender, recip string) {
		if got, want := VERPSender(sender, recip), senderaddC(sender, recip); got != want {
			t.Fatalf("VERPSender(%q, %q) = %q, qmail's %q", sender, recip, got, want)
		}
		b := BounceSender(sender)
		if b != sender && b+"-@[]" != sender {
			t.Fatalf("BounceSender(%q) = %q", sender, b)
		}
	})
}

// TestVERPEndToEnd injects with qmail-inject and QMAILINJECT=r (the
// sender owner-@localhost-@[]) to two remote recipients, one the remote
// host refuses, and one local recipient; the real qmail-remote delivers
// through smtproutes to a recording sink. Each delivery's sender is
// rewritten for its recipient; the bounce goes to owner-@localhost.
func TestVERPEndToEnd(t *testing.T) {
	sink := testbin.StartSMTPSink(t)
	in := newInstance(t, map[string]string{"smtproutes": "far.example:127.0.0.1:" + sink.Port()})
	in.useReal("qmail-remote", "qmail-queue")
	in.start()
	cmd := exec.Command(testbin.Path(t, "qmail-inject"), "a@far.example", "b@far.example", "refuse@far.example", "joe@localhost")
	cmd.Env = append(in.env(), "QMAILINJECT=r", "QMAILUSER=owner", "QMAILHOST=localhost", "DNSCACHEIP=127.0.0.1:1")
	cmd.Stdin = strings.NewReader("Subject: verp\n\nlist mail\n")
	if out, errout, code := testbin.Run(t, cmd); code != 0 {
		t.Fatalf("qmail-inject exit %d: %s%s", code, out, errout)
	}
	id := in.waitLog(`info msg (\d+): bytes \d+ from <owner-@localhost-@\[\]> `)[1]
	in.waitLog(`end msg ` + id + `\n`)
	mail := in.waitMail(2)
	if !testbin.Eventually(30*time.Second, func() bool { return len(sink.Envelopes()) >= 2 }) {
		t.Fatalf("sink got %v", sink.Envelopes())
	}
	var froms []string
	for _, e := range sink.Envelopes() {
		froms = append(froms, e.From+" to "+strings.Join(e.To, ","))
	}
	sort.Strings(froms)
	want := []string{"owner-a=far.example@localhost to a@far.example", "owner-b=far.example@localhost to b@far.example"}
	if strings.Join(froms, "\n") != strings.Join(want, "\n") {
		t.Errorf("MAIL FROM:\n%s\nwant:\n%s", strings.Join(froms, "\n"), strings.Join(want, "\n"))
	}
	var local, bounce string
	for _, m := range mail {
		if strings.Contains(m, "Subject: failure notice") {
			bounce = m
		} else {
			local = m
		}
	}
	if !strings.HasPrefix(local, "Return-Path: <owner-joe=localhost@localhost>\n") {
		t.Errorf("local delivery begins %.200q", local)
	}
	for _, w := range []string{
		"Return-Path: <>\n",
		"Delivered-To: owner-@localhost\n",
		"To: owner-@localhost\n",
		"\n<refuse@far.example>:\n",
		"--- Below this line is a copy of the message.\n\nReturn-Path: <owner-@localhost>\n",
	} {
		if !strings.Contains(bounce, w) {
			t.Errorf("bounce lacks %q:\n%s", w, bounce)
		}
	}
}
