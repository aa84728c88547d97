package command

import (
	"strings"
	"testing"
)

func TestParseManage(t *testing.T) {
	for _, c := range []struct {
		why, def string
		want     Request
		err      bool
	}{
		{"a plain command", "subscribe", Request{Action: "subscribe"}, false},
		{"a target, its last '=' made '@'", "subscribe-box=example.org", Request{Action: "subscribe", Target: "box@example.org"}, false},
		{"a target with '-' and '=' in its local part", "unsubscribe-a-b=c=example.org", Request{Action: "unsubscribe", Target: "a-b=c@example.org"}, false},
		{"a confirmation", "sc.1180000000.abcdefghijklmnopabcd-box=example.org", Request{Action: "sc.1180000000.abcdefghijklmnopabcd", Target: "box@example.org"}, false},
		{"the digest list, any case", "DIGEST-subscribe", Request{Base: Digest, Action: "subscribe"}, false},
		{"the allow list", "allow-subscribe-x=y", Request{Base: Allow, Action: "subscribe", Target: "x@y"}, false},
		{"the deny list", "deny-list", Request{Base: Deny, Action: "list"}, false},
		{"digest without '-' is no command address", "digestsubscribe", Request{}, true},
		{"digest alone", "digest", Request{}, true},
		{"empty: help", "", Request{}, false},
		{"a target without '='", "subscribe-box", Request{Action: "subscribe", Target: "box"}, false},
	} {
		got, err := ParseManage(c.def)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: ParseManage(%q) = %+v, %v; want %+v, error %v", c.why, c.def, got, err, c.want, c.err)
		}
	}
}

func TestParseConfirm(t *testing.T) {
	for _, c := range []struct {
		why, action string
		want        Confirm
		ok          bool
	}{
		{"ezmlm's form", "sc.1180000000.abcdefghijklmnopabcd", Confirm{'s', 1180000000, "1180000000", "abcdefghijklmnopabcd"}, true},
		{"without the dot before the cookie", "uc.1180000000abcdefghijklmnopabcd", Confirm{'u', 1180000000, "1180000000", "abcdefghijklmnopabcd"}, true},
		{"a cookie too short", "sc.1180000000.abc", Confirm{}, false},
		{"a cookie too long", "sc.1180000000.abcdefghijklmnopabcde", Confirm{}, false},
		{"not a confirmation", "subscribe", Confirm{}, false},
		{"no time", "sc..abcdefghijklmnopabcd", Confirm{'s', 0, "", "abcdefghijklmnopabcd"}, true},
	} {
		got, ok := ParseConfirm(c.action)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: ParseConfirm(%q) = %+v, %v; want %+v, %v", c.why, c.action, got, ok, c.want, c.ok)
		}
	}
}

func TestParseReturn(t *testing.T) {
	for _, c := range []struct {
		why, def string
		want     Bounce
		err      bool
	}{
		{"a VERP bounce", "7-box=example.org", Bounce{Kind: KindMessage, Msg: 7, Addr: "box@example.org"}, false},
		{"qmail's report to the unVERPed sender", "12-", Bounce{Kind: KindReport, Msg: 12}, false},
		{"a warning bounced", "warn-1180000000.abcdefghijklmnopabcd-box=example.org", Bounce{Kind: KindWarn, When: 1180000000, Stamp: "1180000000", Cookie: "abcdefghijklmnopabcd", Addr: "box@example.org"}, false},
		{"a probe bounced", "probe-1180000000.abcdefghijklmnopabcd-a-b=c", Bounce{Kind: KindProbe, When: 1180000000, Stamp: "1180000000", Cookie: "abcdefghijklmnopabcd", Addr: "a-b@c"}, false},
		{"a warning with a short cookie: trash", "warn-1180000000.abc-box=example.org", Bounce{}, true},
		{"nothing", "", Bounce{}, true},
		{"no number", "x-box=y", Bounce{}, true},
		{"no dash after the number", "12", Bounce{}, true},
		{"a number too large", "99999999999999999999999-a=b", Bounce{}, true},
	} {
		got, err := ParseReturn(c.def)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: ParseReturn(%q) = %+v, %v; want %+v, error %v", c.why, c.def, got, err, c.want, c.err)
		}
	}
}

func TestParseModerate(t *testing.T) {
	for _, c := range []struct {
		why, local, def string
		want            Moderation
		err             bool
	}{
		{"accept", "demo-list-accept-1180000000.4242.abcdefghijklmnopabcd", "1180000000.4242.abcdefghijklmnopabcd", Moderation{true, "1180000000.4242", "abcdefghijklmnopabcd"}, false},
		{"reject", "list-reject-1.2.abcdefghijklmnopabcd", "1.2.abcdefghijklmnopabcd", Moderation{false, "1.2", "abcdefghijklmnopabcd"}, false},
		{"another word", "list-remove-1.2.abcdefghijklmnopabcd", "1.2.abcdefghijklmnopabcd", Moderation{}, true},
		{"a name that is not TIME.PID", "list-accept-...abcdefghijklmnopabcd", "...abcdefghijklmnopabcd", Moderation{}, true},
		{"DEFAULT not at the end of LOCAL", "list-accept-1.2.x", "1.2.abcdefghijklmnopabcd", Moderation{}, true},
		{"a short cookie", "list-accept-1.2.abc", "1.2.abc", Moderation{}, true},
	} {
		got, err := ParseModerate(c.local, c.def)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: ParseModerate(%q, %q) = %+v, %v; want %+v, error %v", c.why, c.local, c.def, got, err, c.want, c.err)
		}
	}
}

// FuzzParseManage: any $DEFAULT parses to parts of itself.
func FuzzParseManage(f *testing.F) {
	for _, s := range []string{"subscribe", "sc.1180000000.abcdefghijklmnopabcd-box=example.org", "digest-", "deny-list", "", "-", "=", "allow-x-y=z=w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, def string) {
		r, err := ParseManage(def)
		if err != nil {
			return
		}
		if !strings.Contains(def, r.Action) || len(r.Target) > len(def) {
			t.Fatalf("ParseManage(%q) = %+v", def, r)
		}
		if c, ok := ParseConfirm(r.Action); ok && len(c.Cookie) != CookieLen {
			t.Fatalf("ParseConfirm(%q) = %+v", r.Action, c)
		}
	})
}

func FuzzParseReturn(f *testing.F) {
	for _, s := range []string{"7-box=example.org", "12-", "warn-1.abcdefghijklmnopabcd-a=b", "probe-", "", "0-", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, def string) {
		b, err := ParseReturn(def)
		if err != nil {
			return
		}
		if len(b.Addr) > len(def) || (b.Kind == KindWarn || b.Kind == KindProbe) && len(b.Cookie) != CookieLen {
			t.Fatalf("ParseReturn(%q) = %+v", def, b)
		}
	})
}

func FuzzParseModerate(f *testing.F) {
	f.Add("list-accept-1.2.abcdefghijklmnopabcd", "1.2.abcdefghijklmnopabcd")
	f.Add("x-reject-..", ".")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, local, def string) {
		m, err := ParseModerate(local, def)
		if err != nil {
			return
		}
		if strings.ContainsAny(m.Base, "/") || len(m.Cookie) != CookieLen || !strings.HasSuffix(local, def) {
			t.Fatalf("ParseModerate(%q, %q) = %+v", local, def, m)
		}
	})
}
