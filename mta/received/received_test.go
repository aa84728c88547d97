package received

import (
	"testing"
	"time"
)

// The fields as qmail 1.03's received.c writes them for the same
// connection (received(), safeput(), date822fmt()).
func TestField(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		why      string
		protocol string
		helo     string
		c        Conn
		want     string
	}{
		{"HELO equal to the host name (in another case) is left out", "SMTP", "Client.Example",
			Conn{"mx.example", "192.0.2.7", "client.example", ""},
			"Received: from client.example (192.0.2.7)\n  by mx.example with SMTP; 2 Nov 2026 03:04:05 -0000\n"},
		{"another HELO name is shown, and the ident answer before the IP", "ESMTPSA", "laptop",
			Conn{"mx.example", "192.0.2.7", "client.example", "joe"},
			"Received: from client.example (HELO laptop) (joe@192.0.2.7)\n  by mx.example with ESMTPSA; 2 Nov 2026 03:04:05 -0000\n"},
		{"a protocol without HELO", "QMTP", "",
			Conn{"unknown", "2001:db8::1", "unknown", ""},
			"Received: from unknown (2001:db8::1)\n  by unknown with QMTP; 2 Nov 2026 03:04:05 -0000\n"},
		{"safeput: only letters, digits and .@%+/=:- pass", "SMTP", "evil\r\nX-Forged: yes",
			Conn{"mx.example", "192.0.2.7", "a b(c)", "x\ny"},
			"Received: from a?b?c? (HELO evil??X-Forged:?yes) (x?y@192.0.2.7)\n  by mx.example with SMTP; 2 Nov 2026 03:04:05 -0000\n"},
	}
	for _, c := range cases {
		if got := Field(c.protocol, c.helo, c.c, at); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.why, got, c.want)
		}
	}
}

// date822fmt: UTC, the day of the month and the year unpadded, the time
// in two digits each, "-0000" for the zone.
func TestDate822(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(1995, 9, 26, 4, 46, 54, 0, time.UTC), "26 Sep 1995 04:46:54 -0000"},
		{time.Date(2026, 1, 1, 0, 0, 0, 999, time.UTC), "1 Jan 2026 00:00:00 -0000"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.FixedZone("east", 3600)), "31 Dec 2026 22:59:59 -0000"},
		{time.Date(999, 3, 4, 5, 6, 7, 0, time.UTC), "4 Mar 999 05:06:07 -0000"},
	}
	for _, c := range cases {
		if got := Date822(c.t); got != c.want {
			t.Errorf("Date822(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}
