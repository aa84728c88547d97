package sslclient

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// TestMain lets the test binary be sslclient's program: with
// SSLCLIENT_HELPER=smtp it is an SMTP client that starts TLS through
// UCSPI-TLS, as a program under sslclient -y does.
func TestMain(m *testing.M) {
	if mode := os.Getenv("SSLCLIENT_HELPER"); mode != "" {
		os.Exit(smtpHelper(mode))
	}
	os.Exit(m.Run())
}

// smtpHelper talks SMTP in cleartext on descriptors 6 and 7, asks for TLS
// with STARTTLS and then with 'Y' on SSLCTLFD (mode "starttls"), prints
// what it learnt, and goes on over SSLREADFD and SSLWRITEFD; in mode
// "plain" it only says QUIT in cleartext.
func smtpHelper(mode string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "helper: "+format+"\n", a...)
		return 2
	}
	in := bufio.NewReader(os.NewFile(6, "network input"))
	var out io.Writer = os.NewFile(7, "network output")
	// reply reads one SMTP reply and returns its lines.
	reply := func() ([]string, error) {
		var lines []string
		for {
			l, err := in.ReadString('\n')
			if err != nil {
				return lines, err
			}
			lines = append(lines, strings.TrimRight(l, "\r\n"))
			if len(l) < 4 || l[3] != '-' {
				return lines, nil
			}
		}
	}
	say := func(cmd string) ([]string, error) {
		if _, err := io.WriteString(out, cmd+"\r\n"); err != nil {
			return nil, err
		}
		return reply()
	}
	if _, err := reply(); err != nil {
		return fail("greeting: %v", err)
	}
	if mode == "plain" {
		r, err := say("QUIT")
		if err != nil {
			return fail("QUIT: %v", err)
		}
		fmt.Println(r[0][:3])
		return 3
	}
	ehlo, err := say("EHLO client.test")
	if err != nil || !strings.Contains(strings.Join(ehlo, "|"), "STARTTLS") {
		return fail("EHLO offered no STARTTLS: %q %v", ehlo, err)
	}
	if r, err := say("STARTTLS"); err != nil || !strings.HasPrefix(r[0], "220 ") {
		return fail("STARTTLS: %q %v", r, err)
	}
	sess, err := ucspitls.FromEnv(func(k string) (string, bool) { return os.LookupEnv(k) })
	if err != nil {
		return fail("%v", err)
	}
	env, err := sess.Start(true)
	if err != nil {
		fmt.Println("no TLS:", err)
		return 4
	}
	for _, e := range env {
		if strings.HasPrefix(e, "SSL_PROTOCOL=") || strings.HasPrefix(e, "SSL_SERVER_S_DN_CN=") {
			fmt.Println(e)
		}
	}
	in, out = bufio.NewReader(sess.Read), sess.Write
	ehlo, err = say("EHLO client.test")
	if err != nil || strings.Contains(strings.Join(ehlo, "|"), "STARTTLS") {
		return fail("EHLO over TLS: %q %v", ehlo, err)
	}
	r, err := say("QUIT")
	if err != nil {
		return fail("QUIT: %v", err)
	}
	fmt.Println(r[0][:3])
	return 0
}

// TestDelayedTLS runs sslclient -y against a STARTTLS-speaking server,
// qmail-smtpd behind sslserver -n with UCSPITLS: the program starts in
// cleartext on 6 and 7 with the UCSPI-TLS descriptors, asks for TLS with
// 'Y', gets the SSL_* variables of the session, and goes on over TLS.
// A certificate that fails the check ends the session before any data
// passes, and a program that never asks for TLS keeps its exit code.
func TestDelayedTLS(t *testing.T) {
	home, _ := testbin.SMTPHome(t, "mx.test", "test")
	dir := t.TempDir()
	cert, ca := writeCert(t, dir, true, "mx.test")
	port := sslserver(t, []string{"CERTFILE=" + cert, "QMAILHOME=" + home, "UCSPITLS="}, "-n", "127.0.0.1", "0", testbin.Path(t, "qmail-smtpd"))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := func(mode string, args ...string) (string, string, int) {
		cmd := exec.Command(testbin.Path(t, "sslclient"), append(append([]string{"-RHl0"}, args...), "127.0.0.1", port, self)...)
		cmd.Env = []string{"PATH=/bin:/usr/bin", "SSLCLIENT_HELPER=" + mode}
		return testbin.Run(t, cmd)
	}

	out, errs, code := helper("starttls", "-y", "-a", ca)
	want := "SSL_PROTOCOL=TLSv1.3\nSSL_SERVER_S_DN_CN=mx.test\n221\n"
	if out != want || errs != "" || code != 0 {
		t.Errorf("STARTTLS: exit %d, printed %q, stderr %q; want %q", code, out, errs, want)
	}

	out, errs, code = helper("starttls", "-y")
	if code != 111 || !strings.HasPrefix(errs, "sslclient: fatal: missing credentials (CA) or unable to validate server certificate: ") ||
		!strings.HasPrefix(out, "no TLS:") {
		t.Errorf("unverified server: exit %d, printed %q, stderr %q", code, out, errs)
	}

	out, errs, code = helper("plain", "-y", "-a", ca)
	if out != "221\n" || errs != "" || code != 3 {
		t.Errorf("no TLS asked for: exit %d, printed %q, stderr %q", code, out, errs)
	}

	// -Y undoes -y: TLS at once, which the cleartext server does not speak.
	_, errs, code = helper("plain", "-y", "-Y", "-a", ca)
	if code != 111 || !strings.HasPrefix(errs, "sslclient: fatal: unable to SSL connect: ") {
		t.Errorf("-Y: exit %d, stderr %q", code, errs)
	}
}
