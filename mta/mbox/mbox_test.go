package mbox

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDateAndFromLine(t *testing.T) {
	at := time.Date(2026, 3, 5, 7, 8, 9, 0, time.FixedZone("x", 3600))
	if got := Date(at); got != "Thu Mar 05 06:08:09 2026\n" {
		t.Errorf("Date = %q (UTC, zero-padded day, newline)", got)
	}
	tests := []struct{ sender, want, why string }{
		{"joe@example.com", "From joe@example.com Thu Mar 05 06:08:09 2026\n", "plain sender"},
		{"", "From MAILER-DAEMON Thu Mar 05 06:08:09 2026\n", "null sender"},
		{"a b\tc\nd@x", "From a-b-c-d@x Thu Mar 05 06:08:09 2026\n", "blanks become dashes"},
	}
	for _, tt := range tests {
		if got := FromLine(tt.sender, at); got != tt.want {
			t.Errorf("%s: FromLine = %q, want %q", tt.why, got, tt.want)
		}
	}
}

func TestNeedsQuote(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"From me", true},
		{">From me", true},
		{">>>From me", true},
		{"From", false},
		{"from me", false},
		{" From me", false},
		{"Fromage", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := NeedsQuote([]byte(tt.line)); got != tt.want {
			t.Errorf("NeedsQuote(%q) = %v", tt.line, got)
		}
	}
}

func TestWriteMessage(t *testing.T) {
	tests := []struct{ msg, want, why string }{
		{"A: b\n\nFrom here\n>From there\nok\n",
			"From x D\nRP\nA: b\n\n>From here\n>>From there\nok\n\n", "From_ and >From_ lines quoted"},
		{"no newline", "From x D\nRP\nno newline\n\n", "missing final newline added"},
		{"", "From x D\nRP\n\n", "empty message"},
		{"From first\n", "From x D\nRP\n>From first\n\n", "first line quoted too"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteMessage(&b, "From x D\n", []byte("RP\n"), strings.NewReader(tt.msg)); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.why, b.String(), tt.want)
		}
	}
}

func TestWriteMessageLongLine(t *testing.T) {
	long := "From " + strings.Repeat("x", 200000) + "\nnext\n"
	var b bytes.Buffer
	if err := WriteMessage(&b, "F\n", nil, strings.NewReader(long)); err != nil {
		t.Fatal(err)
	}
	if b.String() != "F\n>"+long+"\n" {
		t.Errorf("long line mangled (len %d)", b.Len())
	}
}

type failAfter struct{ r io.Reader }

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("broken pipe")
	}
	return n, err
}

func TestDeliverAppendsAndTruncatesOnFailure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mbox")
	if err := Deliver(p, "From a D\n", nil, strings.NewReader("one\n")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("new mbox mode %v, want 0600", st.Mode().Perm())
	}
	if err := Deliver(p, "From b D\n", nil, strings.NewReader("two\n")); err != nil {
		t.Fatal(err)
	}
	err := Deliver(p, "From c D\n", nil, &failAfter{strings.NewReader("partial\n")})
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("failed read: %v", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "From a D\none\n\nFrom b D\ntwo\n\n" {
		t.Errorf("mbox = %q; the failed delivery must leave no trace", b)
	}
}

func TestLockTimeout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mbox")
	holder, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := Lock(holder, time.Second); err != nil {
		t.Fatal(err)
	}
	other, _ := os.OpenFile(p, os.O_WRONLY, 0)
	defer other.Close()
	if err := Lock(other, 0); !errors.Is(err, ErrLockTimeout) {
		t.Errorf("second lock: %v, want ErrLockTimeout", err)
	}
}

func FuzzWriteMessage(f *testing.F) {
	f.Add([]byte("From x\n>From y\n"))
	f.Add([]byte("no newline"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var b bytes.Buffer
		if err := WriteMessage(&b, "F\n", nil, bytes.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
		// Undoing one '>' on quoted lines gives the message back, with a
		// final newline.
		out := strings.TrimSuffix(strings.TrimPrefix(b.String(), "F\n"), "\n")
		lines := strings.SplitAfter(out, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, ">") && NeedsQuote([]byte(l[1:])) {
				lines[i] = l[1:]
			} else if NeedsQuote([]byte(l)) {
				t.Fatalf("unquoted From_ line %q", l)
			}
		}
		want := string(msg)
		if len(want) > 0 && !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if strings.Join(lines, "") != want {
			t.Fatalf("round trip %q -> %q", msg, b.String())
		}
	})
}
