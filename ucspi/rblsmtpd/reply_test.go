package rblsmtpd

import (
	"strings"
	"testing"
)

func TestReplyLine(t *testing.T) {
	tests := []struct {
		why  string
		code int
		text string
		want string
	}{
		{"plain text", 451, "listed at bl.example", "451 listed at bl.example"},
		{"permanent", 553, "go away", "553 go away"},
		{"empty text", 451, "", "451 "},
		{"control bytes, DEL and 8-bit bytes become ?", 553, "a\r\nb\x7f\x00c\u00e9", "553 a??b??c??"},
		{"cut at 200 bytes of text", 451, strings.Repeat("y", 250), "451 " + strings.Repeat("y", 200)},
		{"cut before replacing, so a multibyte char at the cut is one ?", 451, strings.Repeat("y", 199) + "\u00e9", "451 " + strings.Repeat("y", 199) + "?"},
	}
	for _, tc := range tests {
		if got := replyLine(tc.code, tc.text); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.why, got, tc.want)
		}
	}
}

func TestLogLine(t *testing.T) {
	if got := logLine("192.0.2.1", 42, "451 x"); got != "rblsmtpd: 192.0.2.1 pid 42: 451 x\n" {
		t.Errorf("got %q", got)
	}
	if got := logLine("", 7, "451 x"); got != "rblsmtpd:  pid 7: 451 x\n" {
		t.Errorf("without an address, as 0.88: got %q", got)
	}
	if got := logLine("1\n2", 7, "451 x"); got != "rblsmtpd: 1?2 pid 7: 451 x\n" {
		t.Errorf("a newline in the address must not split the line: got %q", got)
	}
}

func TestScanUlong(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"60", 60}, {"0", 0}, {"", 0}, {"x", 0}, {"12s", 12}, {"-5", 0},
		{"99999999999999999999999", 1<<64 - 1},
	}
	for _, tc := range tests {
		if got := scanUlong(tc.in); got != tc.want {
			t.Errorf("scanUlong(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
