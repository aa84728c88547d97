package remote

import (
	"strings"
	"testing"
)

// RFC 6531: a message whose envelope has a non-ASCII address or whose
// header fields are UTF-8 goes with MAIL FROM's SMTPUTF8 parameter to a
// server that offers SMTPUTF8, and bounces, saying why, at one that does
// not. An 8-bit body alone, or 8-bit header bytes that are not UTF-8
// (a legacy charset), need no SMTPUTF8 and go as before.
func TestSMTPUTF8(t *testing.T) {
	utf8Header := "Subject: caf\xc3\xa9\n\nbody\n"
	latin1Header := "Subject: caf\xe9\n\nbody\n"
	cases := []struct {
		why      string
		offer    bool
		msg      string
		sender   string
		rcpt     string
		dialogue string // client lines joined by |, or the D report
	}{
		{"UTF-8 header, offered", true, utf8Header, "a@quail.test", "x@fake.test",
			"EHLO quail.test|MAIL FROM:<a@quail.test> SIZE=24 BODY=8BITMIME SMTPUTF8|RCPT TO:<x@fake.test>|DATA|QUIT"},
		{"UTF-8 recipient, offered", true, testMessage, "a@quail.test", "j\xc3\xb6rg@fake.test",
			"EHLO quail.test|MAIL FROM:<a@quail.test> SIZE=77 SMTPUTF8|RCPT TO:<j\xc3\xb6rg@fake.test>|DATA|QUIT"},
		{"UTF-8 sender, offered", true, testMessage, "m\xc3\xbcller@quail.test", "x@fake.test",
			"EHLO quail.test|MAIL FROM:<m\xc3\xbcller@quail.test> SIZE=77 SMTPUTF8|RCPT TO:<x@fake.test>|DATA|QUIT"},
		{"ASCII message, offered: no parameter", true, testMessage, "a@quail.test", "x@fake.test",
			"EHLO quail.test|MAIL FROM:<a@quail.test> SIZE=77|RCPT TO:<x@fake.test>|DATA|QUIT"},
		{"Latin-1 header, not offered: sent as before", false, latin1Header, "a@quail.test", "x@fake.test",
			"EHLO quail.test|MAIL FROM:<a@quail.test> SIZE=23 BODY=8BITMIME|RCPT TO:<x@fake.test>|DATA|QUIT"},
		{"UTF-8 header, not offered", false, utf8Header, "a@quail.test", "x@fake.test",
			"DConnected to 127.0.0.1 but it does not offer SMTPUTF8, which the UTF-8 header fields of this message need (#5.6.9).\n"},
		{"Latin-1 recipient, not offered: quoted as qmail does", false, testMessage, "a@quail.test", "j\xf6rg@fake.test",
			"EHLO quail.test|MAIL FROM:<a@quail.test> SIZE=77|RCPT TO:<\"j\xf6rg\"@fake.test>|DATA|QUIT"},
		{"UTF-8 recipient, not offered", false, testMessage, "a@quail.test", "j\xc3\xb6rg@fake.test",
			"DConnected to 127.0.0.1 but it does not offer SMTPUTF8, which the non-ASCII address j\xc3\xb6rg@fake.test needs (#5.6.7).\n"},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			srv := startFake(t, "127.0.0.1:0", func(s *fakeSMTP) {
				if c.offer {
					s.ext = append(s.ext, "SMTPUTF8")
				}
			})
			in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port()})
			rep := in.run(t, c.msg, "fake.test", c.sender, c.rcpt)
			got := strings.Join(srv.Dialogue(), "|")
			if strings.HasPrefix(c.dialogue, "D") {
				if len(rep) != 1 || rep[0] != c.dialogue || got != "EHLO quail.test|QUIT" {
					t.Errorf("reports %q, dialogue %q; want %q", rep, got, c.dialogue)
				}
				return
			}
			if letters(rep) != "rK" || got != c.dialogue {
				t.Errorf("reports %q, dialogue %q; want %q", rep, got, c.dialogue)
			}
		})
	}
}
