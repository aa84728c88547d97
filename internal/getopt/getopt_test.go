package getopt

import (
	"reflect"
	"strings"
	"testing"
)

type parsed struct {
	opts string   // letters seen, each followed by "=arg;" when it took one
	rest []string // words after the options
	err  string
}

func parse(args []string, spec string) parsed {
	p := New(args, spec)
	var b strings.Builder
	var out parsed
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			out.err = err.Error()
			break
		}
		if !ok {
			break
		}
		b.WriteByte(c)
		if arg != "" {
			b.WriteString("=" + arg + ";")
		}
	}
	out.opts = b.String()
	out.rest = p.Rest()
	if out.rest == nil {
		out.rest = []string{}
	}
	return out
}

func TestGetopt(t *testing.T) {
	const spec = "vRHl:c:x:X"
	cases := []struct {
		why  string
		args []string
		want parsed
	}{
		{"no arguments at all", []string{"prog"}, parsed{"", []string{}, ""}},
		{"bundled flags with an attached argument at the end",
			[]string{"prog", "-vRHl0", "0", "25", "cat"},
			parsed{"vRHl=0;", []string{"0", "25", "cat"}, ""}},
		{"argument in the next word", []string{"prog", "-c", "100", "-v", "x"},
			parsed{"c=100;v", []string{"x"}, ""}},
		{"attached argument", []string{"prog", "-c100", "x"}, parsed{"c=100;", []string{"x"}, ""}},
		{"double dash ends options", []string{"prog", "-v", "--", "-R", "x"},
			parsed{"v", []string{"-R", "x"}, ""}},
		{"first non-option ends options, the child keeps its flags",
			[]string{"prog", "-v", "child", "-R"}, parsed{"v", []string{"child", "-R"}, ""}},
		{"a lone dash is not an option", []string{"prog", "-", "-v"}, parsed{"", []string{"-", "-v"}, ""}},
		{"unknown option", []string{"prog", "-vz"}, parsed{"v", []string{}, "illegal option -- z"}},
		{"missing argument", []string{"prog", "-v", "-c"}, parsed{"v", []string{}, "option requires an argument -- c"}},
		{"colon is never an option", []string{"prog", "-:"}, parsed{"", []string{}, "illegal option -- :"}},
		{"empty argument in next word is kept", []string{"prog", "-l", "", "x"}, parsed{"l", []string{"x"}, ""}},
		{"option argument may start with a dash", []string{"prog", "-x", "-v", "y"},
			parsed{"x=-v;", []string{"y"}, ""}},
	}
	for _, c := range cases {
		got := parse(c.args, spec)
		if c.want.err != "" {
			if got.err != c.want.err || got.opts != c.want.opts {
				t.Errorf("%s: got %+v, want %+v", c.why, got, c.want)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.why, got, c.want)
		}
	}
}

func FuzzGetopt(f *testing.F) {
	f.Add("-vRHl0\x000\x0025", "vRHl:")
	f.Add("-c\x00--\x00-x", "c:x")
	f.Add("-\x00-:", "::a")
	f.Fuzz(func(t *testing.T, words, spec string) {
		args := append([]string{"prog"}, strings.Split(words, "\x00")...)
		p := New(args, spec)
		for i := 0; i <= 2*len(words)+2; i++ {
			_, _, ok, err := p.Next()
			if err != nil || !ok {
				_ = p.Rest()
				return
			}
		}
		t.Fatalf("parser did not finish on %q", args)
	})
}
