package usertools

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		why, msg string
		want     Summary
	}{
		{"the fields maildirwatch shows",
			"Return-Path: <s@x>\nDelivered-To: me@y\nFrom: Sam\nSubject: hi\n\nbody\n",
			Summary{"<s@x>", "me@y", "From: Sam", "hi\nbody\n"}},
		{"defaults without header fields", "\nbody\n", Summary{"?", "?", "", "body\n"}},
		{"field names ignore case, the last Delivered-To wins",
			"delivered-to: a@b\nDELIVERED-TO: c@d\n\n", Summary{"?", "c@d", "", ""}},
		{"continuation lines belong to their field",
			"Subject: one\n two\nX: y\n\n", Summary{"?", "?", "", "one\n two\n"}},
		{"a line without a colon starts the body",
			"Subject: s\nnot a header\nmore\n", Summary{"?", "?", "", "s\nnot a header\nmore\n"}},
		{"text stops at 158 bytes",
			"Subject: " + strings.Repeat("x", 200) + "\n\n", Summary{"?", "?", "", strings.Repeat("x", 158)}},
	}
	for _, tt := range tests {
		if got := Summarize(strings.NewReader(tt.msg)); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.why, got, tt.want)
		}
	}
	var b bytes.Buffer
	Summary{"<s\x01@x>", "m\xffe", "From: \x1b[31m", "a\nb"}.WriteTo(&b)
	if b.String() != "FROM <s?@x> TO <m?e>\n\033[1mFrom: /[31m\033[0m\na/b\n\n" {
		t.Errorf("escaping: %q", b.String())
	}
}

func FuzzSummarize(f *testing.F) {
	f.Add([]byte("Return-Path: <s@x>\nDelivered-To: me@y\nSubject: hi\n\nbody\n"))
	f.Add([]byte(" continuation first\n:\n\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		s := Summarize(bytes.NewReader(msg))
		if len(s.Text) > maxText {
			t.Fatalf("text of %d bytes", len(s.Text))
		}
		var b bytes.Buffer
		s.WriteTo(&b)
		for _, c := range b.Bytes() {
			if c != '\n' && c != '\033' && (c < 32 || c > 126) {
				t.Fatalf("unprintable byte %q on the screen", c)
			}
		}
	})
}
