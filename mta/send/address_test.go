package send

import (
	"strings"
	"testing"
)

func testRouter() *Router {
	return &Router{
		Locals:      lowerSet([]string{"here.example", "localhost"}),
		Percenthack: lowerSet([]string{"relay.example"}),
		Virtual: ParseVirtualDomains([]string{
			"virt.example:joe",
			".wild.example:wild",
			"special@virt.example:spec",
			"except.wild.example:",
			"Upper.Example:up",
			"# comment without colon",
			"virt.example:second-line-ignored",
		}),
		NoAtHost: "here.example",
	}
}

func TestRoute(t *testing.T) {
	r := testRouter()
	for _, c := range []struct {
		why  string
		in   string
		ch   Channel
		addr string
	}{
		{"listed in locals", "bob@here.example", Local, "bob@here.example"},
		{"locals compared without case", "bob@HERE.Example", Local, "bob@HERE.Example"},
		{"no @: envnoathost added", "bob", Local, "bob@here.example"},
		{"not local, not virtual", "bob@elsewhere.example", Remote, "bob@elsewhere.example"},
		{"virtual domain: prepend-user@domain", "mike@virt.example", Local, "joe-mike@virt.example"},
		{"exact address beats its domain", "special@virt.example", Local, "spec-special@virt.example"},
		{"wildcard .suffix matches a subdomain", "a@x.wild.example", Local, "wild-a@x.wild.example"},
		{"wildcard does not match the bare domain", "a@wild.example", Remote, "a@wild.example"},
		{"empty prepend: an exception, remote", "a@except.wild.example", Remote, "a@except.wild.example"},
		{"virtual keys without case", "a@upper.EXAMPLE", Local, "up-a@upper.EXAMPLE"},
		{"percenthack: last % becomes @", "u%elsewhere.example@relay.example", Remote, "u@elsewhere.example"},
		{"percenthack loops to a local domain", "u%here.example@relay.example", Local, "u@here.example"},
		{"percenthack only for listed domains", "u%x@other.example", Remote, "u%x@other.example"},
		{"last @ splits", "a@b@virt.example", Local, "joe-a@b@virt.example"},
	} {
		ch, addr := r.Route(c.in)
		if ch != c.ch || addr != c.addr {
			t.Errorf("%s: %q -> %v %q, want %v %q", c.why, c.in, ch, addr, c.ch, c.addr)
		}
	}
	// The empty key catches what nothing else took.
	r.Virtual[""] = "catch"
	if ch, addr := r.Route("x@any.example"); ch != Local || addr != "catch-x@any.example" {
		t.Errorf("catch-all: %v %q", ch, addr)
	}
}

func FuzzRoute(f *testing.F) {
	f.Add("bob@here.example")
	f.Add("u%%%@relay.example")
	f.Add("@")
	f.Add("")
	r := testRouter()
	f.Fuzz(func(t *testing.T, addr string) {
		ch, out := r.Route(addr)
		if ch != Local && ch != Remote {
			t.Fatal("no channel")
		}
		if !strings.Contains(out, "@") {
			t.Fatalf("%q routed to %q without a domain", addr, out)
		}
		SplitAddr(out)
	})
}

func FuzzVirtualDomains(f *testing.F) {
	f.Add("virt.example:joe\n.wild:w\n:catch\nno colon")
	f.Fuzz(func(t *testing.T, text string) {
		m := ParseVirtualDomains(strings.Split(text, "\n"))
		for k := range m {
			if strings.ToLower(k) != k || strings.Contains(k, ":") {
				t.Fatalf("bad key %q", k)
			}
		}
		r := &Router{Virtual: m, NoAtHost: "h"}
		r.Route("a@b.c")
	})
}

func TestBounceEnvelope(t *testing.T) {
	c := &Config{DoubleBounceTo: "postmaster", DoubleBounceHost: "me.example"}
	for _, x := range []struct {
		why      string
		sender   string
		from, to string
		double   bool
		ok       bool
	}{
		{"plain bounce to the sender, null sender", "a@b", "", "a@b", false, true},
		{"bounce of a bounce: double bounce", "", "#@[]", "postmaster@me.example", true, true},
		{"bounce of a double bounce: discarded", "#@[]", "", "", true, false},
	} {
		from, to, double, ok := c.BounceEnvelope(x.sender)
		if from != x.from || to != x.to || double != x.double || ok != x.ok {
			t.Errorf("%s: %q %q %v %v", x.why, from, to, double, ok)
		}
	}
	c.DoubleBounceTo = ""
	if _, _, _, ok := c.BounceEnvelope(""); ok {
		t.Error("empty doublebounceto must discard double bounces")
	}
}
