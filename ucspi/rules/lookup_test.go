package rules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// buildCDB compiles rules text into a cdb file in a temporary directory.
func buildCDB(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.cdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Compile(strings.NewReader(text), f); err != nil {
		t.Fatalf("compile: %v", err)
	}
	return path
}

func TestLookupOrder(t *testing.T) {
	// Every rule answers with its own variable R, so the winner is visible.
	const text = `info@10.1.2.3:allow,R=/info-ip/
info@=mail.example.com:allow,R=/info-host/
10.1.2.3:allow,R=/ip/
=mail.example.com:allow,R=/host/
10.1.2.:allow,R=/prefix3/
10.1.:allow,R=/prefix2/
10.0.0.0/8:allow,R=/cidr8/
10.1.2.0/24:allow,R=/cidr24/
=.example.com:allow,R=/dot-example/
=.com:allow,R=/dot-com/
=:allow,R=/any-host/
:deny
2001:db8:3:1:1:1::1:allow,R=/fefe-text/
2001:db8::1:allow,R=/ip6/
2001:db8::/32:allow,R=/cidr6-32/
2001:db8:1::/48:allow,R=/cidr6-48/
2001:db8:2:allow,R=/bad-prefix/
2001:db8:2::allow,R=/prefix6/
`
	path := buildCDB(t, text)
	tests := []struct {
		why  string
		q    Query
		want string // R, or "deny" for the empty-key rule
	}{
		{"info@ip comes first", Query{IP: "10.1.2.3", Host: "mail.example.com", Info: "info"}, "info-ip"},
		{"info@=host when info@ip is absent", Query{IP: "10.1.2.4", Host: "mail.example.com", Info: "info"}, "info-host"},
		{"unknown info skips both info keys", Query{IP: "10.1.2.3", Host: "mail.example.com"}, "ip"},
		{"exact ip beats host", Query{IP: "10.1.2.3", Host: "mail.example.com", Info: "other"}, "ip"},
		{"=host beats prefixes", Query{IP: "10.1.2.4", Host: "mail.example.com"}, "host"},
		{"longest dotted prefix first", Query{IP: "10.1.2.4", Host: "x.example.com"}, "prefix3"},
		{"shorter dotted prefix", Query{IP: "10.1.3.4", Host: "x.example.com"}, "prefix2"},
		{"CIDR after dotted prefixes, before domains", Query{IP: "10.9.9.9", Host: "x.example.com"}, "cidr8"},
		{"=.domain longest suffix first", Query{IP: "192.0.2.1", Host: "a.b.example.com"}, "dot-example"},
		{"=.domain shorter suffix", Query{IP: "192.0.2.1", Host: "a.b.example.org.com"}, "dot-com"},
		{"= when any host is known", Query{IP: "192.0.2.1", Host: "localhost"}, "any-host"},
		{"empty key when host unknown", Query{IP: "192.0.2.1"}, "deny"},
		{"exact IPv6", Query{IP: "2001:db8::1"}, "ip6"},
		{"IPv6 prefix ends in ':' only", Query{IP: "2001:db8:2::5"}, "prefix6"},
		{"IPv6 CIDR longest first", Query{IP: "2001:db8:1::5"}, "cidr6-48"},
		{"IPv6 CIDR shorter", Query{IP: "2001:db8:7::5"}, "cidr6-32"},
		{"IPv6 outside every rule", Query{IP: "2001:db9::1"}, "deny"},
		{"RFC 5952 text is rewritten as tcpserver writes it", Query{IP: "2001:db8:3:1:1:1:0:1"}, "fefe-text"},
		{"v4-mapped text is looked up as IPv4", Query{IP: "::ffff:10.1.2.3"}, "ip"},
	}
	for _, tc := range tests {
		d, err := LookupFile(path, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.why, err)
		}
		got := "deny"
		if !d.Found {
			got = "not found"
		} else if !d.Deny {
			got = "allow without R"
			for _, v := range d.Env {
				if v.Name == "R" {
					got = v.Value
				}
			}
		}
		if got != tc.want {
			t.Errorf("%s: %+v gave %q (key %q), want %q", tc.why, tc.q, got, d.Key, tc.want)
		}
	}
}

func TestLookupDecision(t *testing.T) {
	path := buildCDB(t, "1.2.3.4:deny,A=/x/,B=||\n5.6.7.8:allow\n")
	tests := []struct {
		why  string
		ip   string
		want Decision
	}{
		{"deny keeps its variables in order", "1.2.3.4", Decision{Found: true, Key: "1.2.3.4", Deny: true, Env: []Var{{"A", "x"}, {"B", ""}}}},
		{"allow with no variables is found with an empty value", "5.6.7.8", Decision{Found: true, Key: "5.6.7.8"}},
		{"no rule and no empty key: not found", "9.9.9.9", Decision{}},
	}
	for _, tc := range tests {
		d, err := LookupFile(path, Query{IP: tc.ip})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.why, d, tc.want)
		}
	}
}

func TestLookupFileMissing(t *testing.T) {
	_, err := LookupFile(filepath.Join(t.TempDir(), "none.cdb"), Query{IP: "1.2.3.4"})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing cdb: got %v, want fs.ErrNotExist", err)
	}
}

func TestLookupFileCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.cdb")
	os.WriteFile(path, []byte("junk\n"), 0644)
	if _, err := LookupFile(path, Query{IP: "1.2.3.4"}); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("short cdb: got %v, want a read error", err)
	}
}

func TestDecodeOddRecords(t *testing.T) {
	// Values from cdbs not built by tcprules: unknown records, '+' without
	// '=', and a trailing record without its NUL are ignored, as tcpserver
	// ignores them.
	d := decode("k", []byte("X\x00+NOEQ\x00+A=1=2\x00D\x00+B=tail"))
	want := Decision{Found: true, Key: "k", Deny: true, Env: []Var{{"A", "1=2"}}}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got %+v, want %+v", d, want)
	}
}
