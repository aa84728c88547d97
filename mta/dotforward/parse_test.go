package dotforward

import (
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/fastforward"
)

var reader = Reader{User: "joe", Host: "h.dom", Defaults: fastforward.Defaults{Host: "dh.dom", Domain: "dd.dom", Plus: "pd.dom"}}

func actions(line string) string {
	var b strings.Builder
	err := reader.Line([]byte(line), func(a Action) error {
		b.WriteString(a.Kind + ":" + a.Arg + " ")
		return nil
	})
	if err != nil {
		b.WriteString("error: " + err.Error())
	}
	return b.String()
}

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"fred, bob@x\n", "forward:bob@x.dd.dom forward:fred@dh.dom "},
		{"\\joe, \"|prog a\"\n", "program:prog a direct: "},
		{"JOE@H.DOM\n", "direct: "},
		{"joe@other.dom\n", "forward:joe@other.dom "},
		{"plus+\n", "forward:plus+@dh.dom "},
		{"x+@y\n", "forward:x+@y.dd.dom "},
		{"/var/mail/joe\n", "error: file delivery /var/mail/joe not supported"},
		{"\"open\n", "error: unable to parse this line: \"open\n"},
	} {
		if got := actions(c.in); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzDotForwardLine(f *testing.F) {
	for _, s := range []string{"fred, bob@x\n", "\\joe, \"|prog\"\n", "/file\n", "<a@b> (c)\n", "\"x\n", "a>\n", "joe@h.dom"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		reader.Line(in, func(a Action) error {
			if a.Kind == "forward" && !strings.Contains(a.Arg, "@") {
				t.Fatalf("forward to %q without @", a.Arg)
			}
			return nil
		})
	})
}
