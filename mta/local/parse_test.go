package local

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		why  string
		in   string
		want []Instruction
		err  error
	}{
		{"the five kinds of dot-qmail(5)",
			"# comment\n|preline /usr/ucb/vacation djb\n&me@new.job.com\n/home/djb/Mailbox.sos\n./Maildir/\n",
			[]Instruction{{Comment, "# comment"}, {Program, "preline /usr/ucb/vacation djb"},
				{Forward, "me@new.job.com"}, {Mbox, "/home/djb/Mailbox.sos"}, {Maildir, "./Maildir/"}}, nil},
		{"an address starting with a letter needs no ampersand",
			"me@new.job.com", []Instruction{{Forward, "me@new.job.com"}}, nil},
		{"trailing blanks go, blank lines after the first are skipped",
			"./Mailbox \t\n\n \n|prog  \n", []Instruction{{Mbox, "./Mailbox"}, {Program, "prog"}}, nil},
		{"blank first line is refused", "\n./Mailbox\n", nil, ErrBlankFirstLine},
		{"a first line of blanks is blank", " \t\n./Mailbox\n", nil, ErrBlankFirstLine},
		{"+list marks forward-only, other + lines are ignored",
			"+list\n+other\n&a@b\n", []Instruction{{ListOnly, "+list"}, {Comment, "+other"}, {Forward, "a@b"}}, nil},
		{"CR is not a blank: it stays part of the line",
			"./Maildir/\r\n", []Instruction{{Mbox, "./Maildir/\r"}}, nil},
		{"a NUL ends the text but not the kind decision",
			"./Mail\x00dir/\n&a@b\x00c\n", []Instruction{{Maildir, "./Mail"}, {Forward, "a@b"}}, nil},
		{"a line starting with NUL is blank", "\x00x\n", nil, ErrBlankFirstLine},
		{"an empty file has no instructions", "", nil, nil},
		{"a lone ampersand forwards to the empty address", "&\n", []Instruction{{Forward, ""}}, nil},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("%s: err %v, want %v", tt.why, err, tt.err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.why, got, tt.want)
		}
	}
}

func TestCandidates(t *testing.T) {
	type c = Candidate
	tests := []struct {
		why       string
		dash, ext string
		want      []Candidate
	}{
		{"the user's own address: .qmail, then .qmaildefault as qmail-local does", "", "",
			[]c{{".qmail", "", false}, {".qmaildefault", "", true}}},
		{"empty extension after a dash", "-", "",
			[]c{{".qmail-", "", false}, {".qmail-default", "", true}}},
		{"one word", "-", "a",
			[]c{{".qmail-a", "", false}, {".qmail-default", "a", true}}},
		{"trailing dash", "-", "a-",
			[]c{{".qmail-a-", "", false}, {".qmail-a-default", "", true}, {".qmail-default", "a-", true}}},
		{"two words", "-", "a-b",
			[]c{{".qmail-a-b", "", false}, {".qmail-a-default", "b", true}, {".qmail-default", "a-b", true}}},
		{"three words", "-", "a-b-c",
			[]c{{".qmail-a-b-c", "", false}, {".qmail-a-b-default", "c", true}, {".qmail-a-default", "b-c", true}, {".qmail-default", "a-b-c", true}}},
		{"lowercased, dots become colons, DEFAULT keeps the original", "-", "Foo.Bar-Baz",
			[]c{{".qmail-foo:bar-baz", "", false}, {".qmail-foo:bar-default", "Baz", true}, {".qmail-default", "Foo.Bar-Baz", true}}},
		{"an extension ending in default sets DEFAULT to the word itself, as qmail-local does", "-", "x-default",
			[]c{{".qmail-x-default", "default", true}, {".qmail-x-default", "default", true}, {".qmail-default", "x-default", true}}},
	}
	for _, tt := range tests {
		got := Candidates(tt.dash, tt.ext)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Candidates(%q, %q) =\n %+v\nwant\n %+v", tt.why, tt.dash, tt.ext, got, tt.want)
		}
	}
}

func TestQuoteAddress(t *testing.T) {
	tests := []struct{ in, want, why string }{
		{"", "", "null sender stays empty"},
		{"joe@example.com", "joe@example.com", "dot-atom"},
		{"j.o.e@x", "j.o.e@x", "single dots are fine"},
		{"joe smith@x", `"joe smith"@x`, "space"},
		{"a..b@x", `"a..b"@x`, "double dot"},
		{".a@x", `".a"@x`, "leading dot"},
		{`a"b\c@x`, `"a\"b\\c"@x`, "quote and backslash escaped"},
		{"a@b@c", `"a@b"@c`, "the last @ splits"},
		{"#@[]", "#@[]", "qmail's double-bounce sender"},
		{"noat", "noat", "no domain"},
		{"@x", `""@x`, "empty local part"},
		{"caf\xc3\xa9@x", "\"caf\xc3\xa9\"@x", "8-bit is quoted"},
	}
	for _, tt := range tests {
		if got := QuoteAddress(tt.in); got != tt.want {
			t.Errorf("%s: QuoteAddress(%q) = %q, want %q", tt.why, tt.in, got, tt.want)
		}
	}
}

func TestLines(t *testing.T) {
	dt, rp := Lines("joe-x", "example.com", "a b@c")
	if string(dt) != "Delivered-To: joe-x@example.com\n" {
		t.Errorf("dtline %q", dt)
	}
	if string(rp) != "Return-Path: <\"a b\"@c>\n" {
		t.Errorf("rpline %q", rp)
	}
	dt, rp = Lines("a\nb", "h", "x\ny@z")
	if string(dt) != "Delivered-To: a_b@h\n" || string(rp) != "Return-Path: <\"x\\_y\"@z>\n" {
		t.Errorf("newlines must become '_': %q %q", dt, rp)
	}
	_, rp = Lines("a", "h", "")
	if string(rp) != "Return-Path: <>\n" {
		t.Errorf("null sender rpline %q", rp)
	}
}

func TestHasLine(t *testing.T) {
	dt := []byte("Delivered-To: joe@example.com\n")
	tests := []struct {
		msg  string
		want bool
		why  string
	}{
		{"Delivered-To: joe@example.com\nSubject: x\n\nbody\n", true, "first header line"},
		{"Subject: x\nDelivered-To: joe@example.com\n\n", true, "later header line"},
		{"Subject: x\n\nDelivered-To: joe@example.com\n", false, "in the body"},
		{"Delivered-To: JOE@example.com\n\n", false, "case matters, as in qmail"},
		{"Delivered-To: joe@example.com", false, "a last line without newline is not the line"},
		{"Delivered-To: joe@example.com\r\n\r\n", false, "CRLF is not LF"},
		{"X: " + strings.Repeat("y", 10000) + "\nDelivered-To: joe@example.com\n", true, "after a very long line"},
		{"", false, "empty message"},
	}
	for _, tt := range tests {
		got, err := HasLine(strings.NewReader(tt.msg), dt)
		if err != nil || got != tt.want {
			t.Errorf("%s: HasLine = %v, %v; want %v", tt.why, got, err, tt.want)
		}
	}
	// One byte at a time.
	got, _ := HasLine(&oneByte{strings.NewReader("A: b\nDelivered-To: joe@example.com\n\n")}, dt)
	if !got {
		t.Error("one byte at a time: line not found")
	}
}

type oneByte struct{ r *strings.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\n|prog\n&a@b\n./mbox\n./Maildir/\n+list\n"))
	f.Add([]byte("\n"))
	f.Add([]byte("./x\x00/\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ins, err := Parse(b)
		if err != nil {
			return
		}
		for _, in := range ins {
			if strings.ContainsAny(in.Arg, "\n\x00") {
				t.Fatalf("instruction %+v holds a newline or NUL", in)
			}
			if in.Kind == Maildir && in.Arg != "" && in.Arg[0] != '.' && in.Arg[0] != '/' {
				t.Fatalf("maildir %q does not start with . or /", in.Arg)
			}
		}
	})
}

func FuzzHasLine(f *testing.F) {
	f.Add([]byte("Delivered-To: a@b\n\n"), []byte("Delivered-To: a@b\n"))
	f.Add([]byte("x\n\nDelivered-To: a@b\n"), []byte("Delivered-To: a@b\n"))
	f.Fuzz(func(t *testing.T, msg, line []byte) {
		got, err := HasLine(bytes.NewReader(msg), line)
		if err != nil {
			t.Fatal(err)
		}
		// Cross-check with a plain split of the header.
		want := false
		if len(line) > 0 && line[len(line)-1] == '\n' {
			for _, l := range strings.SplitAfter(string(msg), "\n") {
				if !strings.HasSuffix(l, "\n") || len(l) <= 1 {
					break
				}
				if l == string(line) {
					want = true
					break
				}
			}
		}
		if got != want {
			t.Fatalf("HasLine(%q, %q) = %v, want %v", msg, line, got, want)
		}
	})
}

func FuzzCandidates(f *testing.F) {
	f.Add("-", "foo-bar")
	f.Add("", "")
	f.Add("-", "X.Y-default")
	f.Fuzz(func(t *testing.T, dash, ext string) {
		cs := Candidates(dash, ext)
		if cs[0].Name != ".qmail"+dash+SafeExt(ext) {
			t.Fatalf("first candidate %q", cs[0].Name)
		}
		for _, c := range cs {
			if strings.Contains(c.Name[len(".qmail")+len(dash):], ".") {
				t.Fatalf("candidate %q keeps a dot from the extension", c.Name)
			}
			if c.HasDefault && !strings.HasSuffix(ext, c.Default) {
				t.Fatalf("DEFAULT %q is not the tail of %q", c.Default, ext)
			}
		}
	})
}

func FuzzQuoteAddress(f *testing.F) {
	f.Add("joe@example.com")
	f.Add(`"a b"@c`)
	f.Fuzz(func(t *testing.T, addr string) {
		q := QuoteAddress(addr)
		at := strings.LastIndexByte(addr, '@')
		if at >= 0 && !strings.HasSuffix(q, addr[at:]) {
			t.Fatalf("domain lost: %q -> %q", addr, q)
		}
		if at < 0 {
			at = len(addr)
		}
		local := strings.TrimSuffix(q, addr[at:])
		if local != addr[:at] {
			// Quoted: undoing the quoting gives the local part back.
			if len(local) < 2 || local[0] != '"' || local[len(local)-1] != '"' {
				t.Fatalf("%q changed without quotes: %q", addr, q)
			}
			var b strings.Builder
			for i := 1; i < len(local)-1; i++ {
				if local[i] == '\\' {
					i++
				}
				b.WriteByte(local[i])
			}
			if b.String() != addr[:at] {
				t.Fatalf("%q -> %q does not unquote", addr, q)
			}
		}
	})
}
