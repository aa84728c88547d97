package mtasts

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestParsePolicy(t *testing.T) {
	cases := []struct {
		why  string
		text string
		mode Mode
		age  time.Duration
		mx   []string
		fail bool
	}{
		{"RFC 8461's example", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
			Enforce, 604800 * time.Second, []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, false},
		{"LF line ends, no final one", "version: STSv1\nmode: testing\nmx: MX.Example.COM.\nmax_age: 86400", Testing, 86400 * time.Second, []string{"mx.example.com"}, false},
		{"no space after the colon, trailing space", "version:STSv1\nmode:enforce \nmx:mx.example.com\t\nmax_age:1\n", Enforce, time.Second, []string{"mx.example.com"}, false},
		{"mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 0\n", None, 0, nil, false},
		{"extensions are ignored", "version: STSv1\nmode: enforce\nx-thing: whatever: really\nmx: a.example\nmax_age: 10\n", Enforce, 10 * time.Second, []string{"a.example"}, false},
		{"the first of a key given twice counts", "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 10\n", Testing, 10 * time.Second, []string{"a.example"}, false},
		{"blank lines passed over", "version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 10\n\n", Enforce, 10 * time.Second, []string{"a.example"}, false},
		{"a year of max_age", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n", Enforce, MaxMaxAge, []string{"a.example"}, false},
		{"more than a year", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "", 0, nil, true},
		{"max_age of 11 digits", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 00000000001\n", "", 0, nil, true},
		{"negative max_age", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "", 0, nil, true},
		{"no version", "mode: enforce\nmx: a.example\nmax_age: 10\n", "", 0, nil, true},
		{"other version", "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 10\n", "", 0, nil, true},
		{"unknown mode", "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 10\n", "", 0, nil, true},
		{"keys are case-sensitive", "Version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 10\n", "", 0, nil, true},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 10\n", "", 0, nil, true},
		{"no max_age", "version: STSv1\nmode: enforce\nmx: a.example\n", "", 0, nil, true},
		{"a line without a colon", "version: STSv1\nmode: enforce\nmx a.example\nmax_age: 10\n", "", 0, nil, true},
		{"wildcard inside a name", "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 10\n", "", 0, nil, true},
		{"wildcard over a top-level domain", "version: STSv1\nmode: enforce\nmx: *.com\nmax_age: 10\n", "", 0, nil, true},
		{"an HTML page", "<html><body>hello</body></html>", "", 0, nil, true},
		{"empty", "", "", 0, nil, true},
	}
	for _, c := range cases {
		p, err := ParsePolicy(c.text)
		if c.fail {
			if err == nil || !errors.Is(err, ErrBadPolicy) {
				t.Errorf("%s: %+v, %v", c.why, p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.why, err)
			continue
		}
		if p.Mode != c.mode || p.MaxAge != c.age || !slices.Equal(p.MX, c.mx) || p.Text != c.text {
			t.Errorf("%s: %+v", c.why, p)
		}
	}
}

func TestMatch(t *testing.T) {
	p := &Policy{MX: []string{"mail.example.com", "*.example.net"}}
	cases := []struct {
		host string
		want bool
	}{
		{"mail.example.com", true},
		{"MAIL.example.com.", true},
		{"other.example.com", false},
		{"mx1.example.net", true},
		{"example.net", false},     // the wildcard stands for one label
		{"a.b.example.net", false}, // and only one
		{"xexample.net", false},    // at a dot
		{".example.net", false},
	}
	for _, c := range cases {
		if got := p.Match(c.host); got != c.want {
			t.Errorf("Match(%q) = %v", c.host, got)
		}
	}
}

func TestLines(t *testing.T) {
	p, err := ParsePolicy("version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 5\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"version: STSv1", "mode: testing", "mx: a.example", "max_age: 5"}
	if !slices.Equal(p.Lines(), want) {
		t.Fatalf("%q", p.Lines())
	}
}
