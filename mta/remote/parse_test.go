package remote

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadReply(t *testing.T) {
	cases := []struct {
		why   string
		in    string
		code  int
		lines []string
		text  string
		err   error
	}{
		{"one line", "250 ok\r\n", 250, []string{"ok"}, "250 ok\n", nil},
		{"bare LF accepted, as qmail does", "220 hi\n", 220, []string{"hi"}, "220 hi\n", nil},
		{"multi-line", "250-mx.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n", 250, []string{"mx.test", "PIPELINING", "SIZE 100"}, "250-mx.test\n250-PIPELINING\n250 SIZE 100\n", nil},
		{"code alone", "354\r\n", 354, []string{""}, "354\n", nil},
		{"letters for a code", "abc hello\r\n", 0, nil, "", ErrBadReply},
		{"code out of range", "650 what\r\n", 0, nil, "", ErrBadReply},
		{"continuation with another code", "250-a\r\n251 b\r\n", 0, nil, "", ErrBadReply},
		{"bad separator", "250xok\r\n", 0, nil, "", ErrBadReply},
		{"short line", "25\r\n", 0, nil, "", ErrBadReply},
		{"end of stream inside a reply", "250-a\r\n", 0, nil, "", io.EOF},
		{"line over the limit", "250 " + strings.Repeat("x", MaxLineBytes+10) + "\r\n", 0, nil, "", ErrBadReply},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = strings.NewReader(c.in)
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				got, err := ReadReply(bufio.NewReaderSize(r, 16))
				if c.err != nil {
					if !errors.Is(err, c.err) {
						t.Fatalf("err = %v, want %v", err, c.err)
					}
					return
				}
				if err != nil || got.Code != c.code || !reflect.DeepEqual(got.Lines, c.lines) || got.Text != c.text {
					t.Fatalf("got %+v, %v", got, err)
				}
			}
		})
	}
}

// A long multi-line reply keeps only MaxReplyText bytes for the report.
func TestReplyTextCap(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		b.WriteString("550-" + strings.Repeat("y", 60) + "\r\n")
	}
	b.WriteString("550 end\r\n")
	r, err := ReadReply(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil || len(r.Text) != MaxReplyText || r.Code != 550 {
		t.Fatalf("code %d, text %d bytes, %v", r.Code, len(r.Text), err)
	}
}

func TestParseEHLO(t *testing.T) {
	ext := ParseEHLO([]string{"mx.test greets you", "PIPELINING", "size 1000", "8BITMIME", "AUTH=LOGIN", "AUTH plain login", "STARTTLS", "-bad", "x y=z"})
	cases := []struct {
		why string
		ok  bool
	}{
		{"keywords are case-insensitive", ext.Has("SIZE")},
		{"the greeting line is not a keyword", !ext.Has("MX.TEST")},
		{"a keyword cannot start with a hyphen", !ext.Has("-BAD")},
		{"SIZE limit read", ext.SizeLimit() == 1000},
		{"both AUTH forms merged", reflect.DeepEqual(ext.AuthMechanisms(), []string{"LOGIN", "PLAIN", "LOGIN"})},
		{"STARTTLS seen", ext.Has("STARTTLS")},
		{"no SIZE means no limit", Extensions{}.SizeLimit() == 0},
		{"SIZE without a number means no limit", Extensions{"SIZE": ""}.SizeLimit() == 0},
		{"SIZE with garbage means no limit", Extensions{"SIZE": "lots"}.SizeLimit() == 0},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s: extensions %v", c.why, ext)
		}
	}
}

func TestNetstring(t *testing.T) {
	if got := string(AppendNetstring(nil, []byte("hello world!"))); got != "12:hello world!," {
		t.Fatalf("encode: %q", got)
	}
	cases := []struct {
		why string
		in  string
		out string
		err bool
	}{
		{"plain", "3:abc,", "abc", false},
		{"empty", "0:,", "", false},
		{"no comma", "3:abcd", "", true},
		{"no digits", ":abc,", "", true},
		{"leading zero", "03:abc,", "", true},
		{"too long for the limit", "99999:", "", true},
		{"letter in length", "1a:b,", "", true},
		{"cut short", "5:ab", "", true},
	}
	for _, c := range cases {
		got, err := ReadNetstring(bufio.NewReader(strings.NewReader(c.in)), 1000)
		if c.err != (err != nil) || string(got) != c.out {
			t.Errorf("%s: %q gives %q, %v", c.why, c.in, got, err)
		}
	}
}

func TestRoutes(t *testing.T) {
	r := ParseRoutes([]string{
		"example.com:relay.example.net:2525",
		".example.com:sub-relay",
		"EXAMPLE.org:first",
		"example.org:second",
		"direct.example:",
		"no colon here",
		":default.relay",
	})
	cases := []struct {
		why, host, want string
	}{
		{"exact name", "example.com", "relay.example.net:2525"},
		{"subdomain takes the dot form", "a.b.example.com", "sub-relay"},
		{"case-insensitive, first line wins", "Example.Org", "first"},
		{"empty relay is found (means MX)", "direct.example", ""},
		{"default route", "elsewhere.test", "default.relay"},
	}
	for _, c := range cases {
		got, ok := r.Lookup(c.host)
		if !ok || got != c.want {
			t.Errorf("%s: Lookup(%q) = %q, %v", c.why, c.host, got, ok)
		}
	}
	if _, ok := ParseRoutes(nil).Lookup("x"); ok {
		t.Error("empty routes matched")
	}
}

func TestParseRelay(t *testing.T) {
	cases := []struct {
		why  string
		in   string
		want Relay
		err  bool
	}{
		{"host only", "relay.test", Relay{Host: "relay.test"}, false},
		{"host and port", "relay.test:2525", Relay{Host: "relay.test", Port: 2525}, false},
		{"IPv4 literal", "[192.0.2.1]:26", Relay{Host: "[192.0.2.1]", Port: 26}, false},
		{"IPv6 literal keeps its colons", "[2001:db8::1]:587", Relay{Host: "[2001:db8::1]", Port: 587}, false},
		{"credentials, password with '|'", "smart.test:587|joe|pa|ss", Relay{Host: "smart.test", Port: 587, User: "joe", Pass: "pa|ss"}, false},
		{"port without host: MX on that port", ":2525", Relay{Port: 2525}, false},
		{"bad port", "relay:http", Relay{}, true},
		{"port out of range", "relay:70000", Relay{}, true},
		{"unclosed bracket", "[192.0.2.1:25", Relay{}, true},
	}
	for _, c := range cases {
		got, err := ParseRelay(c.in)
		if c.err != (err != nil) || got != c.want {
			t.Errorf("%s: ParseRelay(%q) = %+v, %v", c.why, c.in, got, err)
		}
	}
}

func TestParseLiteral(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{{"[1.2.3.4]", true}, {"[IPv6:2001:db8::1]", true}, {"[::1]", true}, {"1.2.3.4", true}, {"example.com", false}, {"[example.com]", false}, {"[fe80::1%eth0]", false}} {
		if _, ok := ParseLiteral(c.in); ok != c.ok {
			t.Errorf("ParseLiteral(%q) ok = %v", c.in, ok)
		}
	}
}

func TestTLSDestinations(t *testing.T) {
	d := ParseTLSDestinations([]string{
		"!plain.example:",
		"=secure.example:/etc/ca.pem|HIGH",
		".corp.example:/etc/corp.pem;2;25",
		"-anon.example:",
		"!.corp.example:",
	})
	cases := []struct {
		why  string
		host string
		want TLSPolicy
	}{
		{"unlisted host: opportunistic", "other.example", TLSPolicy{}},
		{"'!' turns TLS off", "plain.example", TLSPolicy{Mode: TLSOff}},
		{"'=' verifies name, CA file before '|'", "secure.example", TLSPolicy{Mode: TLSVerifyName, CAFile: "/etc/ca.pem"}},
		{"'!' wins over a plain entry, as in s/qmail", "a.corp.example", TLSPolicy{Mode: TLSOff}},
		{"'-' requires TLS without checks", "anon.example", TLSPolicy{Mode: TLSRequired}},
	}
	for _, c := range cases {
		if got := d.Lookup(c.host); got != c.want {
			t.Errorf("%s: Lookup(%q) = %+v", c.why, c.host, got)
		}
	}
	all := ParseTLSDestinations([]string{"+*:/ca.pem", "!skip.example:"})
	if got := all.Lookup("x.example"); got != (TLSPolicy{Mode: TLSVerify, CAFile: "/ca.pem"}) {
		t.Errorf("'+*' for all: %+v", got)
	}
	if got := all.Lookup("skip.example"); got.Mode != TLSOff {
		t.Errorf("'!' beats '+*': %+v", got)
	}
}

func TestWireAddress(t *testing.T) {
	cases := []struct {
		why, in, out string
		ok           bool
	}{
		{"plain", "joe@example.com", "joe@example.com", true},
		{"bounce sender", "", "", true},
		{"double-bounce sender", "#@[]", "#@[]", true},
		{"space needs quotes", "joe smith@example.com", `"joe smith"@example.com`, true},
		{"quote and backslash escaped", `a"b\c@x`, `"a\"b\\c"@x`, true},
		{"leading dot", ".joe@x", `".joe"@x`, true},
		{"double dot", "a..b@x", `"a..b"@x`, true},
		{"last @ splits", "a@b@x", `"a@b"@x`, true},
		{"CR LF refused", "a\r\nRSET@x", "", false},
		{"UTF-8 is atext (RFC 6531)", "j\xc3\xb6rg@x", "j\xc3\xb6rg@x", true},
		{"other 8-bit bytes are quoted", "j\xf6rg@x", "\"j\xf6rg\"@x", true},
		{"UTF-8 with a space still quoted", "j\xc3\xb6 rg@x", "\"j\xc3\xb6 rg\"@x", true},
	}
	for _, c := range cases {
		got, ok := WireAddress(c.in)
		if ok != c.ok || got != c.out {
			t.Errorf("%s: WireAddress(%q) = %q, %v", c.why, c.in, got, ok)
		}
	}
}

func TestWriteData(t *testing.T) {
	cases := []struct {
		why, in, out string
	}{
		{"LF to CRLF", "a\nb\n", "a\r\nb\r\n.\r\n"},
		{"leading dot doubled", ".x\n..y\nz.\n", "..x\r\n...y\r\nz.\r\n.\r\n"},
		{"lone dot line", ".\n", "..\r\n.\r\n"},
		{"empty message", "", ".\r\n"},
		{"bare CR ends the line", "a\rb\n", "a\r\nb\r\n.\r\n"},
		{"CR LF stays one line end", "a\r\nb\n", "a\r\nb\r\n.\r\n"},
		{"CR CR LF is two", "a\r\r\nb\n", "a\r\n\r\nb\r\n.\r\n"},
		{"LF CR is two", "a\n\rb\n", "a\r\n\r\nb\r\n.\r\n"},
		{"the smuggler's CR . CR is a stuffed dot line", "a\r.\rMAIL FROM:<x@y>\n", "a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"},
		{"bare LF dot after a bare CR", "a\r\n.\n", "a\r\n..\r\n.\r\n"},
		{"CR at the end", "a\r", "a\r\n.\r\n"},
		{"partial line ended", "a", "a\r\n.\r\n"},
		{"long line over the buffer", strings.Repeat("x", 70000) + "\n.y\n", strings.Repeat("x", 70000) + "\r\n..y\r\n.\r\n"},
		{"CR LF across the buffer", strings.Repeat("x", 65535) + "\r\n.y\n", strings.Repeat("x", 65535) + "\r\n..y\r\n.\r\n"},
	}
	for _, c := range cases {
		for _, r := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in))} {
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			n, err := WriteData(w, r)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != c.out || n != int64(len(c.in)) {
				t.Errorf("%s: got %q, read %d", c.why, out.String(), n)
			}
		}
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"250 ok\r\n", "250-a\r\n250 b\r\n", "abc\r\n", "999 x\n", "250-\n", "2", "250-a\r\n251 b\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadReply(bufio.NewReader(bytes.NewReader(b)))
		if err == nil && (r.Code < 200 || r.Code > 599 || len(r.Text) > MaxReplyText || len(r.Lines) == 0) {
			t.Fatalf("accepted %q as %+v", b, r)
		}
	})
}

func FuzzParseEHLO(f *testing.F) {
	f.Add("mx\nPIPELINING\nSIZE 10\nAUTH=LOGIN\nAUTH PLAIN")
	f.Add("x\n\n \n=\nAUTH=\nSIZE -1")
	f.Fuzz(func(t *testing.T, s string) {
		ext := ParseEHLO(strings.Split(s, "\n"))
		if ext.SizeLimit() < 0 {
			t.Fatal("negative size")
		}
		for k := range ext {
			if k != strings.ToUpper(k) || !isKeyword(k) {
				t.Fatalf("keyword %q", k)
			}
		}
		ext.AuthMechanisms()
	})
}

func FuzzNetstring(f *testing.F) {
	for _, s := range []string{"3:abc,", "0:,", "12:hello world!,", "00:,", "9999999999:", ":", "1:a"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadNetstring(bufio.NewReader(bytes.NewReader(b)), 1<<16)
		if err != nil {
			return
		}
		enc := AppendNetstring(nil, got)
		if !bytes.HasPrefix(b, enc) {
			t.Fatalf("%q decoded to %q, which encodes as %q", b, got, enc)
		}
	})
}

func FuzzRoutes(f *testing.F) {
	f.Add("example.com:relay:25\n.example.com:x\n:default", "a.example.com")
	f.Add("[::1]:26|u|p\n:[1.2.3.4\n::::", "")
	f.Fuzz(func(t *testing.T, file, host string) {
		r := ParseRoutes(strings.Split(file, "\n"))
		if v, ok := r.Lookup(host); ok {
			if rl, err := ParseRelay(v); err == nil && (rl.Port < 0 || rl.Port > 65535) {
				t.Fatalf("port %d", rl.Port)
			}
		}
		ParseTLSDestinations(strings.Split(file, "\n")).Lookup(host)
	})
}

func TestOpenMessage(t *testing.T) {
	cases := []struct {
		why      string
		body     string
		skip     int64 // bytes already read from the file by the caller
		size     int64
		lines    int64
		eight    bool
		partial  bool
		readBack string
	}{
		{"plain", "a\nb\n", 0, 4, 2, false, false, "a\nb\n"},
		{"8-bit byte", "caf\xe9\n", 0, 5, 1, true, false, "caf\xe9\n"},
		{"partial last line", "a\nb", 0, 3, 1, false, true, "a\nb"},
		{"empty", "", 0, 0, 0, false, false, ""},
		{"file offset kept", "skip\nmsg\n", 5, 4, 1, false, false, "msg\n"},
	}
	for _, c := range cases {
		for _, pipe := range []bool{false, true} {
			var f *os.File
			if pipe {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				go func() { w.WriteString(c.body[c.skip:]); w.Close() }()
				f = r
			} else {
				p := filepath.Join(t.TempDir(), "m")
				os.WriteFile(p, []byte(c.body), 0o644)
				var err error
				if f, err = os.Open(p); err != nil {
					t.Fatal(err)
				}
				f.Seek(c.skip, io.SeekStart)
			}
			m, err := OpenMessage(f)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := m.Reader()
			back, _ := io.ReadAll(r)
			f.Close()
			if m.Size != c.size || m.Lines != c.lines || m.EightBit != c.eight || m.Partial != c.partial || string(back) != c.readBack {
				t.Errorf("%s (pipe %v): %+v, read back %q", c.why, pipe, m, back)
			}
		}
	}
}

// OpenMessage counts CR LF pairs and bare CRs, across its read buffer's
// boundary too, for SMTPSize and QMTPSize.
func TestMessageLineEnds(t *testing.T) {
	fill := strings.Repeat("x", 64<<10-1) // a CR after it ends the first read
	cases := []struct {
		why        string
		body       string
		crlf, bare int64
	}{
		{"none", "a\nb\n", 0, 0},
		{"CR LF", "a\r\nb\n", 1, 0},
		{"bare CR", "a\rb\n", 0, 1},
		{"CR CR LF", "\r\r\n", 1, 1},
		{"CR at the end", "a\r", 0, 1},
		{"CR LF across reads", fill + "\r\n", 1, 0},
		{"bare CR across reads", fill + "\rb\n", 0, 1},
		{"CR last in the first read, then EOF", fill + "\r", 0, 1},
	}
	for _, c := range cases {
		p := filepath.Join(t.TempDir(), "m")
		os.WriteFile(p, []byte(c.body), 0o644)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := OpenMessage(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m.CRLF != c.crlf || m.BareCR != c.bare {
			t.Errorf("%s: CRLF %d, bare CR %d", c.why, m.CRLF, m.BareCR)
		}
	}
}

// Whatever the message holds, the DATA stream ends only at its end: no
// "CR LF . CR LF" comes earlier, CR and LF go only as CR LF pairs (no
// "CR . CR" either), the stream is as long as SIZE= said, and undoing the
// dot-stuffing gives the message back with every line end as LF. The
// QMTP copy is the same message with LF line ends, as long as its
// netstring said.
func FuzzWriteData(f *testing.F) {
	for _, s := range []string{"a\n.\nb\n", ".\n", "..\n", "x\r\n.\r\n", "\n.\n", "", "a\r.\rb\n", "\r\r\n\n\r", "a"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		p := filepath.Join(t.TempDir(), "m")
		if err := os.WriteFile(p, msg, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		m, err := OpenMessage(file)
		if err != nil {
			t.Fatal(err)
		}
		// The message with every line end as LF, and a partial last line
		// ended, as the SMTP copy must carry it.
		lf := bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
		lf = bytes.ReplaceAll(lf, []byte("\r"), []byte("\n"))

		var qmtp bytes.Buffer
		w := bufio.NewWriter(&qmtp)
		r, _ := m.Reader()
		if _, _, err := copyLines(w, r, "\n", false); err != nil || w.Flush() != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(qmtp.Bytes(), lf) || int64(qmtp.Len()) != m.QMTPSize() {
			t.Fatalf("QMTP copy of %q is %q, QMTPSize %d", msg, qmtp.Bytes(), m.QMTPSize())
		}

		var out bytes.Buffer
		w = bufio.NewWriter(&out)
		r, _ = m.Reader()
		if _, err := WriteData(w, r); err != nil {
			t.Fatal(err)
		}
		b := out.Bytes()
		if !bytes.HasSuffix(b, []byte(".\r\n")) {
			t.Fatalf("no end marker: %q", b)
		}
		body := b[:len(b)-3]
		if i := bytes.Index(append([]byte("\r\n"), body...), []byte("\r\n.\r\n")); i >= 0 {
			t.Fatalf("early end of data at %d in %q", i, b)
		}
		if bytes.Count(b, []byte("\r")) != bytes.Count(b, []byte("\r\n")) || bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
			t.Fatalf("a CR or LF alone in %q", b)
		}
		// Every line on the wire that starts with '.' had it doubled.
		stuffed := bytes.Count(append([]byte("\r\n"), body...), []byte("\r\n."))
		if !m.Partial && int64(len(body)-stuffed) != m.SMTPSize() {
			t.Fatalf("%q: %d bytes on the wire less %d dots, SIZE=%d", msg, len(body), stuffed, m.SMTPSize())
		}
		if len(lf) > 0 && lf[len(lf)-1] != '\n' {
			lf = append(lf, '\n')
		}
		var back []byte
		for _, line := range bytes.SplitAfter(body, []byte("\r\n")) {
			if len(line) == 0 {
				continue
			}
			if line[0] == '.' {
				line = line[1:]
			}
			back = append(back, bytes.TrimSuffix(line, []byte("\r\n"))...)
			back = append(back, '\n')
		}
		if !bytes.Equal(back, lf) {
			t.Fatalf("%q came back as %q", msg, back)
		}
	})
}
