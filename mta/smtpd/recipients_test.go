package smtpd

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// qpRE matches the queue id in DATA's reply.
var qpRE = regexp.MustCompile(`qp [0-9]+`)

// RFC 5321 4.5.3.1.10: recipients past the limit get 452 and the client
// sends them in a new transaction. They are not client errors: 10,021
// recipients (21 past the ceiling, more than MaxErrors) must not end the
// session with 421 and lose the 10,000 already accepted. The same with
// MAXRECIPIENTS.
func TestRecipientsPastTheLimitAreNotErrors(t *testing.T) {
	cases := []struct {
		why   string
		max   int
		total int
	}{
		{"the ceiling without MAXRECIPIENTS", 0, MaxRecipientsCeiling + 21},
		{"MAXRECIPIENTS=3", 3, 3 + MaxErrors + 5},
	}
	for _, c := range cases {
		prog, dir := fakeQueue(t)
		cfg := testConfig(prog)
		cfg.MaxRecipients = c.max
		limit := c.max
		if limit == 0 {
			limit = MaxRecipientsCeiling
		}
		var in, want strings.Builder
		in.WriteString("EHLO x\r\nMAIL FROM:<a@b>\r\n")
		want.WriteString("250 2.1.0 ok\r\n")
		for i := 0; i < c.total; i++ {
			fmt.Fprintf(&in, "RCPT TO:<u%d@test>\r\n", i)
			if i < limit {
				want.WriteString("250 2.1.5 ok\r\n")
			} else {
				want.WriteString("452 4.5.3 sorry, too many recipients (#4.5.3)\r\n")
			}
		}
		// The client sends the rest in a second transaction.
		in.WriteString("DATA\r\nSubject: one\r\n\r\n.\r\nMAIL FROM:<a@b>\r\n")
		want.WriteString("354 go ahead\r\n250 2.0.0 ok 1795316645 qp QP\r\n250 2.1.0 ok\r\n")
		rest := c.total - limit
		for i := limit; i < c.total; i++ {
			fmt.Fprintf(&in, "RCPT TO:<u%d@test>\r\n", i)
		}
		for i := 0; i < rest; i++ {
			if i < limit {
				want.WriteString("250 2.1.5 ok\r\n")
			} else {
				want.WriteString("452 4.5.3 sorry, too many recipients (#4.5.3)\r\n")
			}
		}
		in.WriteString("QUIT\r\n")
		want.WriteString("221 2.0.0 mx.test\r\n")
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in.String())
		_, after, _ := strings.Cut(out, "250 2.1.0 ok\r\n")
		after = "250 2.1.0 ok\r\n" + after
		got := qpRE.ReplaceAllString(after, "qp QP")
		if got != want.String() {
			t.Errorf("%s: replies differ from the expected ones (%d bytes, want %d); ends:\n%s", c.why, len(got), want.Len(), got[max(0, len(got)-400):])
		}
		env, _ := os.ReadFile(filepath.Join(dir, "env0"))
		if n := strings.Count(string(env), "\x00T"); n != limit {
			t.Errorf("%s: the first message has %d recipients, want %d", c.why, n, limit)
		}
	}
}
