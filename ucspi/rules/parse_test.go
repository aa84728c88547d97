package rules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type kv struct{ key, value string }

func parseAll(t *testing.T, text string) ([]kv, error) {
	t.Helper()
	var out []kv
	err := Parse(strings.NewReader(text), func(r Rule) error {
		for _, k := range r.Keys {
			out = append(out, kv{k, string(r.Value)})
		}
		return nil
	})
	return out, err
}

func TestParse(t *testing.T) {
	tests := []struct {
		why  string
		in   string
		want []kv
	}{
		{"allow with no variables is an empty value", "1.2.3.4:allow\n", []kv{{"1.2.3.4", ""}}},
		{"deny is D and a NUL", "1.2.3.4:deny\n", []kv{{"1.2.3.4", "D\x00"}}},
		{"variables follow deny, in order", "1:deny,A=/x/,B=||\n", []kv{{"1", "D\x00+A=x\x00+B=\x00"}}},
		{"any byte quotes, even the separators", "1:allow,A=,x,,B=::,C==e=\n", []kv{{"1", "+A=x\x00+B=\x00+C=e\x00"}}},
		{"the name runs to the first '=', commas included", "1:allow,A,B=/v/\n", []kv{{"1", "+A,B=v\x00"}}},
		{"empty name is kept", "1:allow,=/v/\n", []kv{{"1", "+=v\x00"}}},
		{"comments and blank lines are skipped", "#x:deny\n\n   \n\t\n1:allow\n", []kv{{"1", ""}}},
		{"trailing blanks are removed, inner ones kept", "1:allow,A=/a b/ \t \n", []kv{{"1", "+A=a b\x00"}}},
		{"leading blanks are part of the address", " 1:allow\n", []kv{{" 1", ""}}},
		{"a last line without newline counts", "1:allow\n2:deny", []kv{{"1", ""}, {"2", "D\x00"}}},
		{"the empty address is the default rule", ":deny\n", []kv{{"", "D\x00"}}},
		{"IPv6: the address ends at the colon before allow", "::1:allow\n2001:db8::deny\n", []kv{{"::1", ""}, {"2001:db8:", "D\x00"}}},
		{"a colon not followed by a verb belongs to the address", "=a:b:deny\n", []kv{{"=a:b", "D\x00"}}},
		{"duplicates are kept in order", "1:allow\n1:deny\n", []kv{{"1", ""}, {"1", "D\x00"}}},
		{"range in the last octet", "1.2.3.4-6:deny\n", []kv{{"1.2.3.4", "D\x00"}, {"1.2.3.5", "D\x00"}, {"1.2.3.6", "D\x00"}}},
		{"range keeps the text after it", "10.2-3.:allow\n", []kv{{"10.2.", ""}, {"10.3.", ""}}},
		{"range numbers lose leading zeros", "1.05-06:allow\n", []kv{{"1.5", ""}, {"1.6", ""}}},
		{"range top is capped at 255", "1.254-999:allow\n", []kv{{"1.254", ""}, {"1.255", ""}}},
		{"empty numbers are 0", "1.-1:allow\n", []kv{{"1.0", ""}, {"1.1", ""}}},
		{"reversed range gives nothing", "1.5-4:allow\n", nil},
		{"range numbers wrap at 2^64", "1.18446744073709551617-2:allow\n", []kv{{"1.1", ""}, {"1.2", ""}}},
		{"no range in host rules", "=a-b:allow\n", []kv{{"=a-b", ""}}},
		{"no range in info rules", "x@1-2:allow\n", []kv{{"x@1-2", ""}}},
		{"CIDR v4 is masked", "10.1.2.3/8:deny\n", []kv{{"\n10.0.0.0/8", "D\x00"}, {"\n", "4/8\x00"}}},
		{"CIDR v6", "2001:db8::/32:allow\n", []kv{{"\n2001:db8::/32", ""}, {"\n", "6/32\x00"}}},
		{"CIDR after a range", "10.0-1.0.0/16:allow\n", []kv{{"\n10.0.0.0/16", ""}, {"\n10.1.0.0/16", ""}, {"\n", "4/16\x00"}}},
		{"a slash in a name is not CIDR", "a/b:allow\n=h/1:deny\n", []kv{{"a/b", ""}, {"=h/1", "D\x00"}}},
		{"the index lists each length once, longest first", "10.0.0.0/8:allow\n11.0.0.0/8:allow\n10.1.0.0/16:allow\n::/0:deny\n",
			[]kv{{"\n10.0.0.0/8", ""}, {"\n11.0.0.0/8", ""}, {"\n10.1.0.0/16", ""}, {"\n::/0", "D\x00"}, {"\n", "4/16\x004/8\x006/0\x00"}}},
	}
	for _, tc := range tests {
		got, err := compiled(t, tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.why, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q gave %q, want %q", tc.why, tc.in, got, tc.want)
		}
	}
}

// compiled runs Compile and reads back every record in file order.
func compiled(t *testing.T, text string) ([]kv, error) {
	t.Helper()
	var buf memFile
	if err := Compile(strings.NewReader(text), &buf); err != nil {
		return nil, err
	}
	return dumpCDB(t, buf.b), nil
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		why    string
		in     string
		line   int
		reason string
	}{
		{"a word that is not a verb", "1:allow\n10.0.0.1:permit\n", 2, "no :allow or :deny"},
		{"no colon at all (Debian's spins; we refuse)", "10.0.0.1 deny\n", 1, "no colon"},
		{"an indented comment has no colon", "  # note\n", 1, "no colon"},
		{"text after the verb", "1:denyX\n", 1, ""},
		{"space before a variable", "1:allow ,A=/x/\n", 1, ""},
		{"variable without '='", "1:allow,A\n", 1, ""},
		{"variable without a quote", "1:allow,A=\n", 1, ""},
		{"unterminated quote", "1:allow,A=/abc\n", 1, ""},
		{"two variables without a comma", "1:allow,A=/x/B=/y/\n", 1, ""},
		{"a CR is not white space", "1:allow\r\n", 1, ""},
		{"non-digits in a range", "\n\n1.2.3.a5-7:deny\n", 3, ""},
		{"IPv6 with a dash is not a range", "2001:db8::1-5:allow\n", 1, ""},
		{"CIDR length too long", "10.0.0.0/33:allow\n", 1, "CIDR prefix length 33 too long"},
		{"CIDR with a bad address", "10.0.0/8:allow\n", 1, `bad CIDR address "10.0.0"`},
	}
	for _, tc := range tests {
		_, err := parseAll(t, tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a parse error", tc.why, err)
			continue
		}
		if pe.Line != tc.line || pe.Reason != tc.reason {
			t.Errorf("%s: got line %d reason %q, want line %d reason %q", tc.why, pe.Line, pe.Reason, tc.line, tc.reason)
		}
		if strings.ContainsAny(pe.Text, "\n") || pe.Error() != "unable to parse this line: "+pe.Text {
			t.Errorf("%s: message %q", tc.why, pe.Error())
		}
	}
}

func TestParseLineTooLong(t *testing.T) {
	in := "1:allow,A=/" + strings.Repeat("v", MaxLineLength) + "/\n"
	_, err := parseAll(t, in)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reason != "line too long" || len(pe.Text) > 200 {
		t.Fatalf("got %v, want a short 'line too long' error", err)
	}
}
