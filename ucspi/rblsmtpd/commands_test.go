package rblsmtpd

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCommandReader(t *testing.T) {
	tests := []struct {
		why  string
		line string
		want verb
	}{
		{"HELO with argument", "HELO client.example\r\n", verbAccept},
		{"lower case", "helo\r\n", verbAccept},
		{"mixed case EHLO", "eHlO x\r\n", verbAccept},
		{"MAIL with its path", "MAIL FROM:<a@b>\r\n", verbAccept},
		{"RSET and NOOP", "RSET\r\n", verbAccept},
		{"NOOP with spaces after", "noop   \r\n", verbAccept},
		{"bare LF ends a line too", "NOOP\n", verbAccept},
		{"QUIT", "QUIT\r\n", verbQuit},
		{"QUIT with an argument still quits", "quit now\r\n", verbQuit},
		{"RCPT is rejected", "RCPT TO:<x@y>\r\n", verbReject},
		{"DATA is rejected", "DATA\r\n", verbReject},
		{"empty line", "\r\n", verbReject},
		{"bare LF", "\n", verbReject},
		{"leading space gives an empty verb", " helo\r\n", verbReject},
		{"a tab is not a separator", "HELO\tx\r\n", verbReject},
		{"only one CR is dropped", "helo\r\r\n", verbReject},
		{"a CR before the space stays in the verb", "helo\r x\r\n", verbReject},
		{"NUL never matches", "HELO\x00\r\n", verbReject},
		{"prefix is not the verb", "HELOX\r\n", verbReject},
		{"shorter is not the verb", "HEL\r\n", verbReject},
		{"a long verb", strings.Repeat("Q", 10000) + "\r\n", verbReject},
		{"long verb that starts like QUIT", "QUITQUITQUIT\r\n", verbReject},
		{"Unicode folding does not apply (long s)", "r\u017fet\r\n", verbReject},
		{"Kelvin sign is not k", "\u212a\r\n", verbReject},
		{"8-bit bytes", "\xc8ELO\r\n", verbReject},
	}
	for _, tc := range tests {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.line + "QUIT\r\n")
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			cr := newCommandReader(r)
			got, err := cr.next()
			if err != nil || got != tc.want {
				t.Errorf("%s (one byte at a time: %v): %q gave %v, %v; want %v", tc.why, oneByte, tc.line, got, err, tc.want)
			}
			// The reader is left at the start of the next line.
			if v, err := cr.next(); v != verbQuit || err != nil {
				t.Errorf("%s: next line read as %v, %v", tc.why, v, err)
			}
		}
	}
}

func TestCommandReaderEnd(t *testing.T) {
	cr := newCommandReader(strings.NewReader("helo"))
	if _, err := cr.next(); !errors.Is(err, io.EOF) {
		t.Errorf("a last line without LF is not a command: got %v", err)
	}
	cr = newCommandReader(iotest.ErrReader(errors.New("boom")))
	if _, err := cr.next(); err == nil || err.Error() != "boom" {
		t.Errorf("read errors come back: got %v", err)
	}
}

func TestServe(t *testing.T) {
	reply := "451 listed\r\n"
	tests := []struct {
		why, in, out string
	}{
		{"greeting, answers, QUIT ends", "HELO x\r\nMAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\nQUIT\r\nHELO again\r\n",
			greeting + okReply + okReply + reply + reply + byeReply},
		{"end of input ends quietly", "EHLO x\r\n", greeting + okReply},
		{"nothing at all", "", greeting},
		{"partial line at the end is ignored", "NOOP\r\nRSET", greeting + okReply},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		if err := serve(strings.NewReader(tc.in), &out, reply); err != nil {
			t.Errorf("%s: %v", tc.why, err)
		}
		if out.String() != tc.out {
			t.Errorf("%s: got %q, want %q", tc.why, out.String(), tc.out)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("broken pipe")
	}
	w.n--
	return len(p), nil
}

func TestServeStopsOnWriteError(t *testing.T) {
	// An endless client must not keep the dialogue going once it stops
	// reading.
	in := strings.NewReader(strings.Repeat("RCPT TO:<x>\r\n", 1000))
	if err := serve(in, &failWriter{n: 3}, "451 x\r\n"); err == nil {
		t.Error("write error not reported")
	}
}

// reference is 0.88's commands.c, line by line with unlimited memory: the
// model the constant-memory reader must agree with.
func reference(input []byte) []verb {
	var out []verb
	for {
		i := bytes.IndexByte(input, '\n')
		if i < 0 {
			return out
		}
		line := bytes.ReplaceAll(input[:i], []byte{0}, []byte{'\n'})
		input = input[i+1:]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if sp := bytes.IndexByte(line, ' '); sp >= 0 {
			line = line[:sp]
		}
		out = append(out, classify(line))
	}
}

func FuzzCommandReader(f *testing.F) {
	for _, s := range []string{
		"HELO x\r\nQUIT\r\n", "helo\r\r\n", "NOOP\nrset \r\nmail", "\x00\n", " \n", "quit\r x\n",
		strings.Repeat("A", 300) + "\nNOOP\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		want := reference(input)
		cr := newCommandReader(bytes.NewReader(input))
		var got []verb
		for {
			v, err := cr.next()
			if err != nil {
				break
			}
			got = append(got, v)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d commands, reference %d", input, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: command %d is %v, reference %v", input, i, got[i], want[i])
			}
		}
	})
}
