package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestSwaksDeliversToMaildir(t *testing.T) {
	swaks := testbin.Peer(t, "swaks")
	in := newInstance(t)
	port := in.smtpd(nil)
	out, err := exec.Command(swaks, "--server", "127.0.0.1", "--port", port, "--from", "sender@remote.test",
		"--to", "demo@mx.test", "--helo", "client.test", "--header", "Subject: swaks test").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	msgs := in.waitDelivered(1, 30*time.Second)
	b, _ := os.ReadFile(msgs[0])
	for _, want := range []string{"Delivered-To: demo@mx.test\n", "Return-Path: <sender@remote.test>\n", "Subject: swaks test\n", "Received: from unknown (HELO client.test) (127.0.0.1)\n  by mx.test with ESMTP;"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("delivered message lacks %q:\n%s", want, b)
		}
	}
}

func TestRelayRefusedEndToEnd(t *testing.T) {
	swaks := testbin.Peer(t, "swaks")
	in := newInstance(t)
	port := in.smtpd(nil)
	for _, to := range []string{"victim@elsewhere.test", "victim%elsewhere.test@mx.test", "elsewhere.test!victim@mx.test", "\"victim@elsewhere.test\"@mx.test"} {
		out, _ := exec.Command(swaks, "--server", "127.0.0.1", "--port", port, "--from", "a@b.test", "--to", to, "--helo", "c.test").CombinedOutput()
		if !strings.Contains(string(out), "<** 553") {
			t.Errorf("relay to %s not refused with 553:\n%s", to, out)
		}
	}
	if !in.queueEmpty() {
		t.Fatal("a relay attempt reached the queue")
	}
}

func TestPythonSmtplib(t *testing.T) {
	python := testbin.Peer(t, "python3")
	in := newInstance(t)
	port := in.smtpd(nil)
	script := `
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test")
s.ehlo()
assert s.has_extn("pipelining") and s.has_extn("8bitmime") and s.has_extn("size")
refused = s.sendmail("py@remote.test", ["demo@mx.test", "demo@localhost"], "Subject: from smtplib\r\n\r\nline one\r\n.leading dot\r\n")
assert refused == {}, refused
s.quit()
`
	cmd := exec.Command(python, "-c", script, port)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	msgs := in.waitDelivered(2, 30*time.Second)
	b, _ := os.ReadFile(msgs[0])
	if !strings.Contains(string(b), "\n.leading dot\n") {
		t.Errorf("dot-stuffing not undone:\n%s", b)
	}
}

func TestSmtpSourceThousandMessages(t *testing.T) {
	source := testbin.Peer(t, "smtp-source")
	in := newInstance(t)
	port := in.smtpd(nil)
	cmd := exec.Command(source, "-s", "10", "-m", "1000", "-l", "5120", "-f", "load@remote.test", "-t", "demo@mx.test", "-M", "client.test", "127.0.0.1:"+port)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	in.waitDelivered(1000, 180*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for !in.queueEmpty() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := len(in.delivered()); got != 1000 {
		t.Fatalf("%d messages delivered, want exactly 1000", got)
	}
}
