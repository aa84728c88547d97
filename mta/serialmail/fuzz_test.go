package serialmail

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{"Return-Path: <a@b>\nDelivered-To: p-x@y\n\nbody\n", "Return-Path: <>\nDelivered-To: \n", "Return-Path: <\nDelivered-To: x", "Return-Path: >\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sender, rcpt, n, ok, err := Envelope(bufio.NewReader(bytes.NewReader(in)))
		if err != nil || !ok {
			return
		}
		if n > len(in) || strings.Contains(sender, "\n") || strings.Contains(rcpt, "\n") {
			t.Fatalf("%q %q %d from %q", sender, rcpt, n, in)
		}
	})
}

func FuzzSMTPReply(f *testing.F) {
	for _, s := range []string{"250 ok\r\n", "250-a\r\n250-PIPELINING\r\n250 b\r\n", "25\r\n", "abc def\r\n", "250-x\n", "999"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, ehlo bool) {
		c := &smtpClient{r: bufio.NewReader(bytes.NewReader(in))}
		code, err := c.code(ehlo)
		if err == nil && (code < 0 || code > 999) {
			t.Fatalf("code %d", code)
		}
	})
}
