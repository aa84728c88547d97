package remote

import (
	"strings"
	"testing"
)

// RFC 3030: to a server that offers CHUNKING the message goes as one
// "BDAT n LAST" chunk, n being SIZE's count: no dot-stuffing, every line
// end (LF, CR LF, a bare CR) as CR LF, the smuggling attempt of
// TestBareCROnwards inside the one chunk; the answer to the chunk is the
// answer to the message. Without CHUNKING it goes with DATA as before
// (TestWireForm).
func TestBDAT(t *testing.T) {
	const smuggle = "Subject: one\r\n\nbody\r.\rMAIL FROM:<evil@x.test>\rDATA\r\n.\r\nend\n"
	cases := []struct {
		why, msg, mail, bdat, wire string
		data                       string // the server's answer to the chunk
		report                     string
	}{
		{"dot lines are not stuffed", testMessage, "MAIL FROM:<a@quail.test> SIZE=77", "BDAT 77 LAST",
			"From: a@quail.test\r\nSubject: test\r\n\r\nfirst line\r\n.leading dot\r\n.\r\nlast line\r\n", "250 ok queued as 1",
			"K127.0.0.1 accepted message.\nRemote host said: 250 ok queued as 1\n"},
		{"bare CRs and CR LF pairs", smuggle, "MAIL FROM:<a@quail.test> SIZE=64", "BDAT 64 LAST",
			"Subject: one\r\n\r\nbody\r\n.\r\nMAIL FROM:<evil@x.test>\r\nDATA\r\n.\r\nend\r\n", "250 ok queued as 1",
			"K127.0.0.1 accepted message.\nRemote host said: 250 ok queued as 1\n"},
		{"an empty message", "", "MAIL FROM:<a@quail.test> SIZE=0", "BDAT 0 LAST", "", "250 ok queued as 1",
			"K127.0.0.1 accepted message.\nRemote host said: 250 ok queued as 1\n"},
		{"the chunk refused", testMessage, "MAIL FROM:<a@quail.test> SIZE=77", "BDAT 77 LAST",
			"From: a@quail.test\r\nSubject: test\r\n\r\nfirst line\r\n.leading dot\r\n.\r\nlast line\r\n", "554 no thanks",
			"D127.0.0.1 failed after I sent the message.\nRemote host said: 554 no thanks\n"},
		{"the chunk deferred", testMessage, "MAIL FROM:<a@quail.test> SIZE=77", "BDAT 77 LAST",
			"From: a@quail.test\r\nSubject: test\r\n\r\nfirst line\r\n.leading dot\r\n.\r\nlast line\r\n", "451 later",
			"Z127.0.0.1 failed after I sent the message.\nRemote host said: 451 later\n"},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			srv := startFake(t, "127.0.0.1:0", func(s *fakeSMTP) {
				s.ext = append(s.ext, "CHUNKING")
				s.data = c.data
			})
			in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port()})
			rep := in.run(t, c.msg, "fake.test", "a@quail.test", "x@fake.test")
			if len(rep) != 2 || rep[0] != "r" || rep[1] != c.report {
				t.Errorf("reports %q, want r and %q", rep, c.report)
			}
			want := "EHLO quail.test|" + c.mail + "|RCPT TO:<x@fake.test>|" + c.bdat + "|QUIT"
			if got := strings.Join(srv.Dialogue(), "|"); got != want {
				t.Errorf("dialogue %q\nwant %q", got, want)
			}
			if msgs := srv.Messages(); len(msgs) != 1 || msgs[0] != c.wire {
				t.Errorf("messages %q\nwant %q", msgs, c.wire)
			}
		})
	}
}
