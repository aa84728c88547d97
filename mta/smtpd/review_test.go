package smtpd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A NUL in an envelope address would end the field in qmail-queue's
// envelope and let the client add recipients of its own choosing after
// the relay checks: "Fa\0Tvictim@far\0" is a sender plus a recipient.
func TestControlBytesInAddressesRefused(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cases := []struct{ mail, rcpt, why string }{
		{"<a\x00Tvictim@far.invalid>", "<u@test>", "NUL in the sender adds a recipient"},
		{"<a@b>", "<u\x00Tvictim@test>", "NUL in a recipient splits it in two"},
		{"<a\r@b>", "<u@test>", "a CR is not part of any address"},
		{"<a@b>", "<u\x01@test>", "control bytes are not in qtextSMTP"},
	}
	for _, c := range cases {
		in := "HELO x\r\nMAIL FROM:" + c.mail + "\r\nRCPT TO:" + c.rcpt + "\r\nDATA\r\nx\r\n.\r\nQUIT\r\n"
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in)
		if strings.Contains(out, "354 ") {
			t.Errorf("%s: a message was accepted:\n%s", c.why, out)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, "env*")); len(ents) != 0 {
		b, _ := os.ReadFile(ents[0])
		t.Fatalf("an address with control bytes reached the queue: %q", b)
	}
}
