package smtpd

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readData(t *testing.T, in string, limit int64, oneByte bool) (string, DataResult, string, error) {
	t.Helper()
	var src = strings.NewReader(in)
	var r *bufio.Reader
	if oneByte {
		r = bufio.NewReaderSize(iotest.OneByteReader(src), 16)
	} else {
		r = bufio.NewReader(src)
	}
	var out bytes.Buffer
	res, err := ReadData(r, &out, limit)
	rest := new(strings.Builder)
	r.WriteTo(rest)
	return out.String(), res, rest.String(), err
}

func TestReadData(t *testing.T) {
	cases := []struct {
		why, in, want, rest string
		bareLF, bareCR      int
	}{
		{"plain message", "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n", "Subject: x\n\nhello\n", "QUIT\r\n", 0, 0},
		{"empty message", ".\r\n", "", "", 0, 0},
		{"dot-stuffed lines lose one dot", "..\r\n...x\r\n.y\r\n.\r\n", ".\n..x\ny\n", "", 0, 0},
		{"smuggling LF.LF stays inside", "a\n.\nMAIL FROM:<x>\r\n.\r\n", "a\n.\nMAIL FROM:<x>\n", "", 2, 0},
		{"smuggling CRLF.LF stays inside", "a\r\n.\nRCPT\r\n.\r\n", "a\n\nRCPT\n", "", 1, 0},
		{"smuggling LF.CRLF stays inside", "a\n.\r\nRCPT\r\n.\r\n", "a\n.\nRCPT\n", "", 1, 0},
		{"smuggling CR.CR stays inside", "a\r.\rRCPT\r\n.\r\n", "a\r.\rRCPT\n", "", 0, 2},
		{"smuggling CRLF.CR stays inside", "a\r\n.\rRCPT\r\n.\r\n", "a\n\rRCPT\n", "", 0, 1},
		{"CR CR LF", "a\r\r\n.\r\n", "a\r\n", "", 0, 1},
		{"dot CR CR LF", ".\r\r\n.\r\n", "\r\n", "", 0, 1},
		{"8-bit and NUL bytes pass", "\x00\xff\r\n.\r\n", "\x00\xff\n", "", 0, 0},
		{"pipelined commands after the end are left unread", "x\r\n.\r\nMAIL FROM:<a>\r\nRCPT TO:<b>\r\n", "x\n", "MAIL FROM:<a>\r\nRCPT TO:<b>\r\n", 0, 0},
	}
	for _, c := range cases {
		for _, one := range []bool{false, true} {
			got, res, rest, err := readData(t, c.in, -1, one)
			if err != nil || got != c.want || rest != c.rest || res.BareLF != c.bareLF || res.BareCR != c.bareCR {
				t.Errorf("%s (one byte at a time: %v): got %q rest %q %+v %v; want %q rest %q", c.why, one, got, rest, res, err, c.want, c.rest)
			}
		}
	}
}

func TestReadDataLimitAndEOF(t *testing.T) {
	got, res, rest, err := readData(t, "0123456789\r\nabc\r\n.\r\nQUIT\r\n", 5, false)
	if err != nil || got != "01234" || !res.TooBig || res.Bytes != 15 || rest != "QUIT\r\n" {
		t.Errorf("limit: %q %+v %q %v", got, res, rest, err)
	}
	_, _, _, err = readData(t, "no end\r\n.", -1, false)
	if err == nil {
		t.Errorf("end of input inside DATA accepted as a message")
	}
}

func TestHops(t *testing.T) {
	in := "Received: a\r\nreceived:b\r\nDelivered-To: x\r\nX-Received: no\r\n received: folded no\r\nSubject: s\r\n\r\nReceived: in body\r\n.\r\n"
	_, res, _, err := readData(t, in, -1, false)
	if err != nil || res.Hops != 3 {
		t.Fatalf("hops %d, %v", res.Hops, err)
	}
}

func FuzzReadData(f *testing.F) {
	f.Add([]byte("a\r\n.\nb\r\n.\r\n"))
	f.Add([]byte(".\r\n"))
	f.Add([]byte("..\r\r\n.\r\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append(append([]byte{}, b...), "\r\n.\r\nTAIL"...)
		r := bufio.NewReader(bytes.NewReader(in))
		var out bytes.Buffer
		_, err := ReadData(r, &out, 1<<20)
		if err != nil {
			t.Fatalf("error %v on input ending in CRLF.CRLF", err)
		}
		rest := make([]byte, r.Buffered())
		r.Read(rest)
		// The message must end at the first CR LF "." CR LF that starts a
		// real line: nothing earlier may end it.
		full := append([]byte("\r\n"), in...)
		end := bytes.Index(full, []byte("\r\n.\r\n"))
		if want := full[end+5:]; !bytes.Equal(rest, want) {
			t.Fatalf("input %q: left %q, want %q", in, rest, want)
		}
	})
}

// FuzzReadDataBulkAsByteAtATime: the bulk copy of plain runs changes
// nothing ReadData writes, counts or leaves unread, whatever the input,
// the reader's buffer size and the limit.
func FuzzReadDataBulkAsByteAtATime(f *testing.F) {
	f.Add([]byte("Received: a\r\nDelivered-To: b\r\nX: y\r\n\r\nbody line\r\n.\r\nQUIT\r\n"), uint8(16), int16(-1))
	f.Add([]byte("a\n.\nb\r.\rc\r\n..d\r\n.\r\n"), uint8(5), int16(8))
	f.Add([]byte(strings.Repeat("long line without end ", 50)+"\r\n.\r\n"), uint8(0), int16(100))
	f.Add([]byte("receiv\r\ned: x\r\n.\r"), uint8(3), int16(-1))
	f.Fuzz(func(t *testing.T, b []byte, size uint8, limit int16) {
		run := func(bulk bool) (string, DataResult, string, error) {
			r := bufio.NewReaderSize(iotest.HalfReader(bytes.NewReader(b)), 16+int(size))
			var out bytes.Buffer
			res, err := readDataWith(r, &out, int64(limit), bulk)
			rest, _ := io.ReadAll(r)
			return out.String(), res, string(rest), err
		}
		gotMsg, gotRes, gotRest, gotErr := run(true)
		wantMsg, wantRes, wantRest, wantErr := run(false)
		if gotMsg != wantMsg || gotRes != wantRes || gotRest != wantRest || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("input %q: got %q %+v rest %q %v; want %q %+v rest %q %v",
				b, gotMsg, gotRes, gotRest, gotErr, wantMsg, wantRes, wantRest, wantErr)
		}
	})
}
