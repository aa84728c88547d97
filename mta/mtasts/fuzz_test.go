package mtasts

import (
	"strings"
	"testing"
)

// FuzzParsePolicy: a policy host may send anything. Whatever parses has
// a mode, a max_age within a year, mx patterns that are names, and
// matches only hosts its patterns name.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		goodPolicy,
		"version: STSv1\r\nmode: testing\r\nmx: *.example.net\r\nmax_age: 31557600\r\n",
		"version: STSv1\nmode: none\nmax_age: 0",
		"version:STSv1\nmode:enforce\nmx:a\nmax_age:1\n\n\n",
		"",
		"version: STSv1\nmode: enforce\nmx: *.\nmax_age: 1\n",
	} {
		f.Add(s, "mx.example.test")
	}
	f.Fuzz(func(t *testing.T, text, host string) {
		p, err := ParsePolicy(text)
		if err != nil {
			return
		}
		if p.Mode != Enforce && p.Mode != Testing && p.Mode != None || p.MaxAge < 0 || p.MaxAge > MaxMaxAge {
			t.Fatalf("%q: %+v", text, p)
		}
		for _, m := range p.MX {
			if _, ok := mxPattern(m); !ok {
				t.Fatalf("%q: pattern %q", text, m)
			}
		}
		if p.Match(host) {
			h := strings.ToLower(strings.TrimSuffix(host, "."))
			ok := false
			for _, m := range p.MX {
				ok = ok || m == h || strings.HasPrefix(m, "*.") && strings.HasSuffix(h, m[1:])
			}
			if !ok {
				t.Fatalf("%q matched %q", text, host)
			}
		}
	})
}

// FuzzParseRecord: the TXT record is anyone's to write. An id that
// parses is 1 to 32 letters and digits.
func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=STSv1; id=20160831085700Z;", "v=STSv1;id=a;x=y;", "v=STSv1", "v=STSv1; id=;", "v=STSv1 ; ; id=a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRecord(s)
		if err != nil {
			return
		}
		if len(id) == 0 || len(id) > 32 || !alnum(id) {
			t.Fatalf("%q: id %q", s, id)
		}
	})
}

// FuzzDecodeEntry: a cache file may be half-written or tampered with;
// decoding it never panics, and what decodes carries a valid policy.
func FuzzDecodeEntry(f *testing.F) {
	f.Add("quail-mta-sts 1\nfetched 1700000000\nid abc\n\n" + goodPolicy)
	f.Add("quail-mta-sts 1\nfetched -1\nid abc\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := decodeEntry(s)
		if err != nil {
			return
		}
		if e.Policy == nil || !alnum(e.ID) {
			t.Fatalf("%q: %+v", s, e)
		}
	})
}
