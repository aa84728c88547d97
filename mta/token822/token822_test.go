package token822

import (
	"fmt"
	"strings"
	"testing"
)

func show(toks []Token) string {
	var b strings.Builder
	for _, t := range toks {
		fmt.Fprintf(&b, "%d:%q ", t.Type, t.Text)
	}
	return b.String()
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a@b.c", `1:"a" 7:"" 1:"b" 5:"" 1:"c" `},
		{`"x y"@z`, `2:"x y" 7:"" 1:"z" `},
		{"(a (nested) comment)x", `4:"a nested comment" 1:"x" `},
		{`[1.2\]3]`, `3:"1.2]3" `},
		{`a\,b`, `1:"a,b" `}, // the backslash goes, the comma stays in the atom
		{"a)b", `2:"a)b" `},  // a ) inside an atom makes it a quoted string (atomcheck)
		{"a\xe9", `2:"a\xe9" `},
		{"<a> ; :", `8:"" 1:"a" 9:"" 11:"" 10:"" `},
		{"a\\", `1:"a" `}, // a backslash at the very end is dropped
	} {
		toks, ok := Parse([]byte(c.in))
		if !ok || show(toks) != c.want {
			t.Errorf("Parse(%q) = %s %v, want %s", c.in, show(toks), ok, c.want)
		}
	}
	for _, bad := range []string{`"open`, "(open", "[open", ")a", "]a", `"a\`} {
		if _, ok := Parse([]byte(bad)); ok {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct {
		in       string
		includes bool
		want     string
	}{
		{"root: alice, bill", false, "bill|alice|root|"},
		{"joe: Joe Shmoe <shmoe@h.dom> (x)", false, "shmoe@h.dom|joe|"},
		{"a b c", false, "c|b|a|"},
		{"big: :include: /etc/staff, x", true, "x|+/etc/staff|big|"},
		{"big: :include: /etc/staff, x", false, "x|/etc/staff|include|big|"},
		{"<>", false, "|"},
		{"a: b, , c", false, "c|b|a|"},
	} {
		toks, _ := Parse([]byte(c.in))
		var b strings.Builder
		err := List(toks, c.includes, func(it Item) error {
			if it.Include {
				b.WriteByte('+')
			}
			b.Write(it.Text())
			b.WriteByte('|')
			return nil
		})
		if err != nil || b.String() != c.want {
			t.Errorf("List(%q) = %q %v, want %q", c.in, b.String(), err, c.want)
		}
	}
	toks, _ := Parse([]byte("a>"))
	if err := List(toks, false, func(Item) error { return nil }); err != ErrParse {
		t.Errorf("a> gave %v", err)
	}
}

func FuzzList(f *testing.F) {
	for _, s := range []string{"root: alice, bill", "joe: Joe <j@h> (c)", `"|prog"`, ":include: x", "a>", "(((", `"\`, "[a\\]b]", "x\x00y"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, includes bool) {
		toks, ok := Parse(in)
		if !ok {
			return
		}
		total := 0
		List(toks, includes, func(it Item) error {
			total += len(it.Toks)
			return nil
		})
		if total > len(toks) {
			t.Fatalf("%d tokens handed out of %d", total, len(toks))
		}
	})
}
