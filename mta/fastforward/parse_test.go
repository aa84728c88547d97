package fastforward

import (
	"bytes"
	"strings"
	"testing"
)

var testDefaults = Defaults{Host: "dh.dom", Domain: "dd.dom", Plus: "pd.dom"}

func records(t *testing.T, aliases string) string {
	t.Helper()
	var b strings.Builder
	err := CompileAliases(strings.NewReader(aliases), testDefaults, func(k, v []byte) error {
		b.WriteString(string(k) + "=" + strings.ReplaceAll(string(v), "\x00", ",") + "\n")
		return nil
	})
	if err != nil {
		b.WriteString("error: " + err.Error())
	}
	return b.String()
}

func TestCompileAliases(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"root: alice, bill+\n", ":root@=&bill+@dh.dom,&alice@dh.dom,\n"}, // + is looked at after @defaulthost is added
		{"root: bill@x+\n", ":root@=&bill@x.pd.dom,\n"},
		{"owner-x: boss\nx: :include:list, \"|prog arg\"\n", "?x@=owner-x@dh.dom\n:owner-x@=&boss@dh.dom,\n:x@=!prog arg,./list.bin,\n"},
		{"a:\n\n b\n", ":a@=&b@dh.dom,\n"},
		{"a: b\nc: d", ":a@=&b@dh.dom,\n"}, // the unterminated last line is not read
		{"lonely\n", "error: unable to parse this line: lonely\n"},
	} {
		if got := records(t, c.in); got != c.want {
			t.Errorf("%q:\n got  %q\n want %q", c.in, got, c.want)
		}
	}
}

func FuzzAliases(f *testing.F) {
	for _, s := range []string{"root: alice, bill\n", "owner-l: b\nl: :include:/x, \"|p\"\n", "a:\n\n b,\n\tc\n", "# c\n  d\n", "a: <b(c)@[d]>\n", "x: \"\\\"\n", "a: /file\n", "a: <>\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		CompileAliases(bytes.NewReader(in), testDefaults, func(k, v []byte) error {
			if len(k) < 1 || (k[0] != ':' && k[0] != '?') {
				t.Fatalf("key %q", k)
			}
			if k[0] == ':' && (len(v) == 0 || v[len(v)-1] != 0) {
				t.Fatalf("commands %q not NUL-ended", v)
			}
			return nil
		})
	})
}

func FuzzSetforward(f *testing.F) {
	for _, s := range []string{"a@b: c@d, |p, ./l.bin, ?o@w;", "# c\nx:\\ y;", "x: y", "::", ",", "x\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		CompileForward(bytes.NewReader(in), func(k, v []byte) error {
			if bytes.IndexByte(k, 0) >= 0 {
				t.Fatalf("NUL in key %q", k)
			}
			return nil
		})
	})
}
