package authres

import (
	"reflect"
	"testing"
)

// The field as written, byte for byte: one result a line, values quoted
// only where RFC 8601 needs it, and nothing from the message able to
// break the structure.
func TestString(t *testing.T) {
	for _, c := range []struct {
		why  string
		h    Header
		want string
	}{
		{"no results is 'none' (RFC 8601 section 2.2)", Header{AuthServID: "mx.example.org"},
			"Authentication-Results: mx.example.org; none\n"},
		{"spf and dkim", Header{AuthServID: "mx.example.org", Results: []Method{
			{Method: "spf", Result: "pass", Props: []Prop{{"smtp", "mailfrom", "a@example.net"}}},
			{Method: "dkim", Result: "pass", Props: []Prop{{"header", "d", "example.net"}, {"header", "s", "sel"}, {"header", "b", "AbCd+/8="}}},
		}}, "Authentication-Results: mx.example.org;\n\tspf=pass smtp.mailfrom=a@example.net;\n\tdkim=pass header.d=example.net header.s=sel header.b=\"AbCd+/8=\"\n"},
		{"reason and comment escaped", Header{AuthServID: "mx", Results: []Method{
			{Method: "dkim", Result: "fail", Reason: "body \"hash\"\ndid not verify", Comment: "a (b) c"},
		}}, "Authentication-Results: mx;\n\tdkim=fail (a \\(b\\) c) reason=\"body \\\"hash\\\" did not verify\"\n"},
		{"an address that is no dot-atom is quoted", Header{AuthServID: "mx", Results: []Method{
			{Method: "spf", Result: "none", Props: []Prop{{"smtp", "mailfrom", "a b;c@x"}, {"smtp", "mailfrom", ""}}},
		}}, "Authentication-Results: mx;\n\tspf=none smtp.mailfrom=\"a b;c@x\" smtp.mailfrom=\"\"\n"},
		{"method and result names are tokens", Header{AuthServID: "mx", Results: []Method{{Method: "x;y", Result: "p s"}}},
			"Authentication-Results: mx;\n\tx_y=p_s\n"},
	} {
		if got := c.h.String(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.why, got, c.want)
		}
	}
}

func TestRemoveForged(t *testing.T) {
	for _, c := range []struct {
		why, in, want string
		n             int
	}{
		{"ours removed, folded lines too; others kept",
			"Received: x\nAuthentication-Results: MX.example.org;\n\tdkim=pass header.d=bank.example\nAuthentication-Results: other.example; spf=fail\nSubject: s\n\nAuthentication-Results: mx.example.org; in the body\n",
			"Received: x\nAuthentication-Results: other.example; spf=fail\nSubject: s\n\nAuthentication-Results: mx.example.org; in the body\n", 1},
		{"a version or comment after the id still names it",
			"authentication-results : mx.example.org 1 ; spf=pass\nAuthentication-Results: (c) mx.example.org; none\r\nTo: b\r\n\r\n",
			"To: b\r\n\r\n", 2},
		{"a longer name is not ours", "Authentication-Results: mx.example.org.evil; none\n\n",
			"Authentication-Results: mx.example.org.evil; none\n\n", 0},
		{"no header end", "Authentication-Results: mx.example.org; none", "", 1},
	} {
		got, n := RemoveForged([]byte(c.in), "mx.example.org")
		if string(got) != c.want || n != c.n {
			t.Errorf("%s:\n got %q (%d)\nwant %q (%d)", c.why, got, n, c.want, c.n)
		}
	}
}

func TestParse(t *testing.T) {
	h := Header{AuthServID: "mx.example.org", Results: []Method{
		{Method: "spf", Result: "pass", Props: []Prop{{"smtp", "mailfrom", "a@example.net"}}},
		{Method: "dkim", Result: "fail", Reason: "bad; \"sig\"", Props: []Prop{{"header", "d", "example.net"}, {"header", "b", "Ab/+="}}},
		{Method: "arc", Result: "pass"},
	}}
	got, err := Parse(h.Payload())
	if err != nil || !reflect.DeepEqual(got, h) {
		t.Errorf("round trip: %+v %v", got, err)
	}
	for _, c := range []struct {
		in   string
		want Header
	}{
		{" mx 1; none", Header{AuthServID: "mx"}},
		{"mx; (comment) dkim/1 = pass (good) header.i=@example.net (id);", Header{AuthServID: "mx", Results: []Method{{Method: "dkim", Result: "pass", Comment: "", Props: []Prop{{"header", "i", "@example.net"}}}}}},
	} {
		got, err := Parse(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %+v, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"", ";", "mx; dkim", "mx; dkim=", "mx dkim=pass"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) took it", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"mx; none", "mx.example.org;\n\tspf=pass smtp.mailfrom=a@b;\n\tdkim=pass header.d=x (c) reason=\"q\\\"\"", "(((", "a; b=c d.e=\"", "mx 1; arc=pass (i=2)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		// What we write of what we read reads back the same.
		again, err := Parse(h.Payload())
		if err != nil {
			t.Fatalf("%q: our own field does not parse: %v (%q)", s, err, h.Payload())
		}
		if len(again.Results) != len(h.Results) {
			t.Fatalf("%q: %d results, then %d", s, len(h.Results), len(again.Results))
		}
	})
}

func FuzzRemoveForged(f *testing.F) {
	f.Add([]byte("Authentication-Results: mx; none\nA: b\n\nbody"), "mx")
	f.Add([]byte("Authentication-Results:\r\n mx\r\n\r\n"), "mx")
	f.Fuzz(func(t *testing.T, msg []byte, id string) {
		out, n := RemoveForged(msg, id)
		if len(out) > len(msg) || (n == 0) != (len(out) == len(msg)) {
			t.Fatalf("%q -> %q (%d)", msg, out, n)
		}
	})
}
