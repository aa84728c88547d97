package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestPerlNetSMTPBdat: Perl's Net::SMTP (libnet), a real CHUNKING client,
// sends BODY=BINARYMIME with BDAT in three chunks to qmail-smtpd through
// tcpserver: the first ends inside a CR LF, the second holds what would
// end a DATA message and a smuggled transaction, the third is the LAST.
// The message is delivered once, whole, in qmail's LF form. (Perl and
// its Net::SMTP come with swaks, which .ci/run installs.)
func TestPerlNetSMTPBdat(t *testing.T) {
	perl := testbin.Peer(t, "perl")
	in := newInstance(t)
	port := in.smtpd(nil)
	script := `
use strict; use Net::SMTP;
my $s = Net::SMTP->new("127.0.0.1", Port => $ARGV[0], Hello => "client.test") or die "connect: $@";
die "no CHUNKING" unless defined $s->supports("CHUNKING");
die "no BINARYMIME" unless defined $s->supports("BINARYMIME");
$s->mail("perl\@remote.test", Bits => "binary") or die "MAIL: " . $s->message;
$s->to("demo\@mx.test") or die "RCPT: " . $s->message;
$s->bdat("Subject: from Net::SMTP\r\n\r\nfirst\r") or die "BDAT 1: " . $s->message;
$s->bdat("\n.\r\nMAIL FROM:<evil\@remote.test>\r\n.leading dot\r\n") or die "BDAT 2: " . $s->message;
$s->bdatlast("\x00\xff binary\r\n") or die "BDAT LAST: " . $s->message;
print $s->message;
$s->quit;
`
	out, err := exec.Command(perl, "-e", script, port).CombinedOutput()
	if err != nil {
		t.Fatalf("Net::SMTP: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "2.0.0 ok ") || !strings.Contains(string(out), " qp ") {
		t.Errorf("LAST chunk answered %q", out)
	}
	msgs := in.waitDelivered(1, 30*time.Second)
	b, _ := os.ReadFile(msgs[0])
	want := "Subject: from Net::SMTP\n\nfirst\n.\nMAIL FROM:<evil@remote.test>\n.leading dot\n\x00\xff binary\n"
	if !strings.HasSuffix(string(b), want) {
		t.Errorf("delivered message does not end in %q:\n%q", want, b)
	}
	if n := len(in.delivered()); n != 1 {
		t.Errorf("%d messages delivered", n)
	}
}
