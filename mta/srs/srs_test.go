package srs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var day0 = time.Unix(20000*secondsADay+3600, 0) // day 20000: 20000 % 1024 = 544 = "RA"

func TestTimestamp(t *testing.T) {
	if got := Timestamp(day0); got != "RA" {
		t.Errorf("Timestamp(day 20000) = %q, want RA (544 = 17*32 + 0)", got)
	}
}

// TestReverseRefusesMalformed: each part the decoder needs, missing.
func TestReverseRefusesMalformed(t *testing.T) {
	c := &Codec{Secrets: []string{"k"}}
	for _, tc := range []struct {
		addr string
		want error
	}{
		{"user@example", ErrNotSRS},
		{"SRS2=a=b@x", ErrNotSRS},
		{"SRS0_a=b@x", ErrNotSRS},
		{"SRS0=@x", ErrSyntax},
		{"SRS0=HHHH@x", ErrSyntax},
		{"SRS0=HHHH=RA@x", ErrSyntax},
		{"SRS0=HHHH=RA=host@x", ErrSyntax},
		{"SRS0=HHHH=RA=host=@x", ErrSyntax},
		{"SRS0=HHHH=R!=host=user@x", ErrSyntax},
		{"SRS0=HHH=RA=host=user@x", ErrHashShort},
		{"SRS0=HHHHH=RA=host=user@x", ErrBadHash},
		{"SRS1=@x", ErrSyntax},
		{"SRS1=HHHH@x", ErrSyntax},
		{"SRS1=HHHH=host@x", ErrSyntax},
	} {
		_, err := c.Reverse(tc.addr, day0)
		if !errors.Is(err, tc.want) {
			t.Errorf("Reverse(%q) = %v, want %v", tc.addr, err, tc.want)
		}
	}
	if _, err := (&Codec{}).Reverse("SRS0=a=b=c=d@x", day0); err != ErrNoSecrets {
		t.Errorf("no secrets: %v", err)
	}
	if _, err := c.Forward("no-at-sign", "fwd.example", day0); err != ErrNoAt {
		t.Errorf("sender without @: %v", err)
	}
}

// TestForwardChain: a sender forwarded three times comes back hop by hop.
func TestForwardChain(t *testing.T) {
	a := &Codec{Secrets: []string{"first"}}
	b := &Codec{Secrets: []string{"second"}}
	c := &Codec{Secrets: []string{"third"}}
	s1, _ := a.Forward("user@orig.example", "a.example", day0)
	s2, _ := b.Forward(s1, "b.example", day0)
	s3, _ := c.Forward(s2, "c.example", day0)
	if !strings.HasPrefix(s1, "SRS0=") || !strings.HasPrefix(s2, "SRS1=") || !strings.HasPrefix(s3, "SRS1=") {
		t.Fatalf("chain %s, %s, %s", s1, s2, s3)
	}
	if !strings.Contains(s3, "=a.example==") {
		t.Errorf("SRS1 %s does not name the first forwarder", s3)
	}
	// The last forwarder sends the bounce straight to the first one.
	back, err := c.Reverse(s3, day0)
	if err != nil || back != s1 {
		t.Fatalf("c reverses %s to %q %v, want %s", s3, back, err, s1)
	}
	orig, err := a.Reverse(back, day0)
	if err != nil || orig != "user@orig.example" {
		t.Fatalf("a reverses %s to %q %v", back, orig, err)
	}
}

func TestDomains(t *testing.T) {
	d, err := ParseDomains([]string{
		"*:defsecret|+|srs.",
		"own.example:ownsecret other|=|",
		"plain.example:plainsecret||bounces.example",
		"inherit.example:",
		"!off.example:",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host, alias, secret string
		sep                 byte
		ok                  bool
	}{
		{"own.example", "srs.own.example", "ownsecret", '=', true},     // srsaddress from "*"
		{"Plain.Example", "bounces.example", "plainsecret", '+', true}, // separator from "*"
		{"inherit.example", "srs.inherit.example", "defsecret", '+', true},
		{"any.example", "srs.any.example", "defsecret", '+', true},
		{"off.example", "", "", 0, false},
	} {
		e, ok := d.Lookup(tc.host)
		if ok != tc.ok {
			t.Errorf("Lookup(%s) ok=%v", tc.host, ok)
			continue
		}
		if !ok {
			continue
		}
		if a := e.Alias(strings.ToLower(tc.host)); a != tc.alias || e.Secrets[0] != tc.secret || e.Sep != tc.sep {
			t.Errorf("Lookup(%s) = %+v alias %s", tc.host, e, a)
		}
		back, ok := d.ForAlias(tc.alias)
		if !ok || back.Secrets[0] != tc.secret {
			t.Errorf("ForAlias(%s) = %+v %v", tc.alias, back, ok)
		}
	}
	if _, ok := d.ForAlias("own.example"); ok {
		t.Error("own.example's senders are at srs.own.example, not own.example")
	}
	for _, bad := range []string{"nodomain", ":x", "d:a|%|", "d:a|b|c|d"} {
		if _, err := ParseDomains([]string{bad}); err == nil {
			t.Errorf("ParseDomains(%q) accepted", bad)
		}
	}
}

// FuzzReverse: the decoder never panics, refuses with a verdict on the
// address or says it is not SRS, and what Forward makes it undoes.
func FuzzReverse(f *testing.F) {
	for _, s := range []string{
		"SRS0=HHHH=RA=orig.example=user@fwd.example",
		"SRS1=HHHH=first.example==HHHH=RA=orig.example=user@fwd.example",
		"srs0+abcd=ra=x=y@z", "SRS0=", "SRS1==", "SRS0=a=b=c=", "SRS0=HHHH=" + strings.Repeat("A", 40) + "=h=u@x",
	} {
		f.Add(s)
	}
	c := &Codec{Secrets: []string{"fuzz"}}
	f.Fuzz(func(t *testing.T, addr string) {
		out, err := c.Reverse(addr, day0)
		if err != nil && err != ErrNotSRS && !Invalid(err) {
			t.Fatalf("Reverse(%q): %v", addr, err)
		}
		if err == nil && !IsSRS(addr) {
			t.Fatalf("Reverse(%q) = %q for a non-SRS address", addr, out)
		}
		if !strings.Contains(addr, "@") || IsSRS(addr) {
			return
		}
		fwd, err := c.Forward(addr, "fwd.example", day0)
		if Invalid(err) {
			return
		}
		if err != nil {
			t.Fatalf("Forward(%q): %v", addr, err)
		}
		if fwd == addr {
			return
		}
		back, err := c.Reverse(fwd, day0)
		if err != nil || back != addr {
			t.Fatalf("Forward(%q) = %q reverses to %q %v", addr, fwd, back, err)
		}
	})
}
