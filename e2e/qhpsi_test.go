package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// eicarLike is a harmless test string; the tests' own signatures look for
// it, so no real virus pattern is needed.
const eicarLike = "QUAIL-QHPSI-TEST-PAYLOAD-7b1e"

func sendWithSwaks(t *testing.T, port, body string) string {
	swaks := testbin.Peer(t, "swaks")
	out, _ := exec.Command(swaks, "--server", "127.0.0.1", "--port", port, "--from", "a@remote.test",
		"--to", "demo@mx.test", "--helo", "client.test", "--body", body).CombinedOutput()
	return string(out)
}

func TestQHPSIWithStandInScanner(t *testing.T) {
	in := newInstance(t)
	scanner := filepath.Join(t.TempDir(), "scanner")
	os.WriteFile(scanner, []byte("#!/bin/sh\nfor f; do :; done\ngrep -q '"+eicarLike+"' \"$f\" && exit 1\nexit 0\n"), 0755)
	port := in.smtpd([]string{"QHPSI=" + scanner, "QHPSIARG1=--no-summary"})

	out := sendWithSwaks(t, port, "an infected message: "+eicarLike)
	if !strings.Contains(out, "<** 554 5.7.1 virus found by the content scanner (#5.7.1)") {
		t.Fatalf("infected message not refused with 554:\n%s", out)
	}
	out = sendWithSwaks(t, port, "a clean message")
	if !strings.Contains(out, "<-  250 2.0.0 ok") {
		t.Fatalf("clean message not accepted:\n%s", out)
	}
	in.waitDelivered(1, 30*time.Second)
	time.Sleep(200 * time.Millisecond)
	if got := len(in.delivered()); got != 1 {
		t.Fatalf("%d messages delivered, want only the clean one", got)
	}
}

// TestQHPSIWithClamAV runs ClamAV's clamscan with a signature database of
// the test's own (no download): a hex signature of the test string.
func TestQHPSIWithClamAV(t *testing.T) {
	clamscan := testbin.Peer(t, "clamscan")
	in := newInstance(t)
	db := filepath.Join(t.TempDir(), "quail-test.ndb")
	hex := ""
	for _, c := range []byte(eicarLike) {
		hex += string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	os.WriteFile(db, []byte("Quail.Test.QHPSI:0:*:"+hex+"\n"), 0644)
	port := in.smtpd([]string{"QHPSI=" + clamscan, "QHPSIARG1=--no-summary", "QHPSIARG2=--database=" + db})
	out := sendWithSwaks(t, port, "payload "+eicarLike)
	if !strings.Contains(out, "<** 554") {
		t.Fatalf("clamscan hit not refused:\n%s", out)
	}
	out = sendWithSwaks(t, port, "nothing here")
	if !strings.Contains(out, "<-  250 2.0.0 ok") {
		t.Fatalf("clean message refused:\n%s", out)
	}
}
