package rules

import (
	"github.com/quail-mta/quail/internal/cdbmake"

	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/colinmarc/cdb"
)

func addCorpusSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/compat/*.rules")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "\n", "#\n", "1:allow", ":deny\n", "1.2.3.4-9:deny\n", "1.-:allow\n", "a-b-c:allow\n",
		"10.0.0.0/8:allow\n", "::/0:deny\n", "1:allow,A=", "1:allow,A=//,B=xx", "=h:a:deny\n",
		"x@=h:allow,=//\n", "1.2.3.0/99:allow\n", "1:denyallow\n", "1:allow\r\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse: no input panics or hangs; a parse error names a line that
// exists; what parses compiles to a cdb in which every key finds the value
// of its first occurrence.
func FuzzParse(f *testing.F) {
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, text []byte) {
		first := map[string][]byte{}
		err := Parse(bytes.NewReader(text), func(r Rule) error {
			for _, k := range r.Keys {
				if _, ok := first[k]; !ok {
					first[k] = r.Value
				}
			}
			return nil
		})
		var pe *ParseError
		if errors.As(err, &pe) {
			if pe.Line < 1 || pe.Line > bytes.Count(text, []byte("\n"))+1 {
				t.Fatalf("error names line %d of a %d-line input", pe.Line, bytes.Count(text, []byte("\n"))+1)
			}
			return
		}
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		var m memFile
		if err := Compile(bytes.NewReader(text), &m); err != nil {
			t.Fatalf("Parse accepted what Compile refused: %v", err)
		}
		db, err := cdb.New(bytes.NewReader(m.b), nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range first {
			if cdbmake.Hash([]byte(k)) == 0 {
				continue // colinmarc/cdb cannot read these (see cdbmake_test.go)
			}
			got, err := db.Get([]byte(k))
			if err != nil || got == nil || !bytes.Equal(got, want) {
				t.Fatalf("key %q: got %q, %v; want %q", k, got, err, want)
			}
		}
	})
}

// FuzzLookup compiles fuzzed rules and looks a fuzzed connection up, both
// through the cdb and through a map of the parsed rules; the answers must
// agree and nothing may panic.
func FuzzLookup(f *testing.F) {
	f.Add([]byte("10.0.0.0/8:deny\n10.1.:allow,A=/b/\n=.example.com:allow\n:deny\n"), "10.1.2.3", "a.example.com", "")
	f.Add([]byte("joe@1.2.3.4:allow\n2001:db8::/32:deny\n2001:db8:1:allow\n"), "2001:db8:1::1", "", "joe")
	f.Add([]byte("=:deny\n"), "::ffff:1.2.3.4", "h", "i")
	f.Add([]byte("fe80::/10:deny\n"), "fe80::1%eth0", "", "")
	f.Fuzz(func(t *testing.T, text []byte, ip, host, info string) {
		var m memFile
		if err := Compile(bytes.NewReader(text), &m); err != nil {
			return
		}
		// The reference: a map of each key's first value, and the CIDR
		// index Compile adds.
		first := map[string][]byte{}
		used := map[netip.Prefix]bool{}
		Parse(bytes.NewReader(text), func(r Rule) error {
			for _, k := range r.Keys {
				if cdbmake.Hash([]byte(k)) == 0 {
					return errors.New("unreadable key") // see FuzzParse
				}
				if _, ok := first[k]; !ok {
					first[k] = append([]byte{}, r.Value...) // found, even when empty
				}
			}
			for _, p := range r.CIDR {
				used[p] = true
			}
			return nil
		})
		if len(used) > 0 {
			first[cidrIndexKey] = cidrIndex(used)
		}
		db, err := cdb.New(bytes.NewReader(m.b), nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Lookup(db, Query{IP: ip, Host: host, Info: info})
		if err != nil {
			t.Fatal(err)
		}
		var h, i *string
		if host != "" {
			h = &host
		}
		if info != "" {
			i = &info
		}
		mapGet := func(k []byte) ([]byte, error) { return first[string(k)], nil }
		key, value, found, _ := find(mapGet, lookupIP(ip), h, i)
		want := Decision{}
		if found {
			want = decode(key, value)
		}
		if d.Found != want.Found || d.Key != want.Key || d.Deny != want.Deny || len(d.Env) != len(want.Env) {
			t.Fatalf("cdb says %+v, rules say %+v", d, want)
		}
	})
}
