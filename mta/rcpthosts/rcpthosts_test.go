package rcpthosts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/mta/control"
)

// home makes a control directory with rcpthosts (when rh is not nil)
// and morercpthosts.cdb (when more is not nil).
func home(t *testing.T, rh, more []string) control.Dir {
	t.Helper()
	h := t.TempDir()
	ctl := filepath.Join(h, "control")
	os.Mkdir(ctl, 0o755)
	if rh != nil {
		os.WriteFile(filepath.Join(ctl, "rcpthosts"), []byte(strings.Join(rh, "\n")+"\n"), 0o644)
	}
	if more != nil {
		f, err := os.Create(filepath.Join(ctl, "morercpthosts.cdb"))
		if err != nil {
			t.Fatal(err)
		}
		w := cdbmake.New(f)
		for _, m := range more {
			w.Add([]byte(m), nil)
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return control.Open(h)
}

// rcpthosts.c's rules: the domain or a ".suffix" of it, in either file,
// in lower case; no rcpthosts at all accepts everything.
func TestAllowed(t *testing.T) {
	cases := []struct {
		why      string
		rh, more []string
		domain   string
		want     bool
	}{
		{"no files: no restriction", nil, nil, "anything.example", true},
		{"listed exactly", []string{"example.com"}, nil, "example.com", true},
		{"compared in lower case both ways", []string{"Example.COM"}, nil, "EXAMPLE.com", true},
		{"an exact entry does not cover subdomains", []string{"example.com"}, nil, "sub.example.com", false},
		{"a dot entry covers every name below", []string{".example.com"}, nil, "a.b.example.com", true},
		{"a dot entry does not cover the domain itself", []string{".example.com"}, nil, "example.com", false},
		{"a suffix that is not at a dot", []string{".ample.com"}, nil, "example.com", false},
		{"an empty rcpthosts accepts nothing", []string{}, nil, "example.com", false},
		{"morercpthosts.cdb alone", nil, []string{"example.org"}, "example.org", true},
		{"morercpthosts.cdb alone refuses the rest", nil, []string{"example.org"}, "example.net", false},
		{"morercpthosts.cdb after rcpthosts, suffix form", []string{"example.com"}, []string{".example.org"}, "www.example.org", true},
	}
	for _, c := range cases {
		h, err := Load(home(t, c.rh, c.more))
		if err != nil {
			t.Fatalf("%s: %v", c.why, err)
		}
		got, err := h.Allowed(c.domain)
		if err != nil || got != c.want {
			t.Errorf("%s: Allowed(%q) = %v, %v; want %v", c.why, c.domain, got, err, c.want)
		}
	}
}

// A file that exists but cannot be read stops the server at start, as
// rcpthosts_init's -1 makes qmail-smtpd die_control.
func TestLoadUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	for _, name := range []string{"rcpthosts", "morercpthosts.cdb"} {
		ctl := home(t, []string{"example.com"}, []string{"example.org"})
		os.Chmod(filepath.Join(ctl.Path, name), 0)
		if _, err := Load(ctl); err == nil {
			t.Errorf("an unreadable %s was not an error", name)
		}
	}
}

// A broken morercpthosts.cdb fails the lookup, which the servers answer
// with a temporary error, instead of accepting or refusing.
func TestBrokenCDB(t *testing.T) {
	ctl := home(t, []string{"example.com"}, nil)
	os.WriteFile(filepath.Join(ctl.Path, "morercpthosts.cdb"), []byte("short"), 0o644)
	h, err := Load(ctl)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Allowed("example.com"); !ok || err != nil {
		t.Errorf("rcpthosts is not consulted first: %v, %v", ok, err)
	}
	if _, err := h.Allowed("example.org"); err == nil {
		t.Error("a broken cdb was read as an answer")
	}
}

// FuzzAllowed holds Allowed to its definition: a domain is accepted
// exactly when it, or one of its suffixes starting at a dot, is listed.
func FuzzAllowed(f *testing.F) {
	f.Add("example.com", ".example.com", "a.example.com")
	f.Add("EXAMPLE.com", "", "example.COM")
	f.Add(".", "..", "a..b")
	f.Fuzz(func(t *testing.T, a, b, domain string) {
		h := New([]string{a, b})
		got, err := h.Allowed(domain)
		if err != nil {
			t.Fatal(err)
		}
		d := strings.ToLower(domain)
		want := false
		for _, e := range []string{strings.ToLower(a), strings.ToLower(b)} {
			want = want || e == d || strings.HasPrefix(e, ".") && strings.HasSuffix(d, e)
		}
		if got != want {
			t.Errorf("Allowed(%q) with %q, %q = %v, want %v", domain, a, b, got, want)
		}
	})
}
