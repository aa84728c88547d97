package listdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ref64 and ref32 are ezmlm-idx's subhashb (subhash.c: h = 5381;
// h = (h + (h << 5)) ^ byte; h % 53) in unsigned long on a 64-bit host
// and in ezmlm 0.53's uint32, written out here as the C code reads.
func ref64(s string) byte {
	var h uint64 = 5381
	for _, c := range []byte(s) {
		h = (h + (h << 5)) ^ uint64(c)
	}
	return byte(64 + h%53)
}

func ref32(s string) byte {
	var h uint32 = 5381
	for _, c := range []byte(s) {
		h = (h + (h << 5)) ^ uint32(c)
	}
	return byte(64 + h%53)
}

// TestSubscriberFiles: the entries' bytes ('T', address with its host in
// lower case, NUL), the file each goes to, case-insensitive lookups,
// removal, and the Log lines (ezmlm(5), SUBSCRIBERS; sub-std.c).
func TestSubscriberFiles(t *testing.T) {
	dir := t.TempDir()
	db := &DB{Dir: dir, Now: func() time.Time { return time.Unix(1485642996, 0) }}
	added, err := db.Add("Joe.Bloggs@EXAMPLE.org", "+manual", "")
	if err != nil || !added {
		t.Fatalf("Add: %v, %v", added, err)
	}
	name := filepath.Join(dir, "subscribers", string(rune(ref64("Tjoe.bloggs@example.org"))))
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "TJoe.Bloggs@example.org\x00" {
		t.Errorf("%s holds %q", name, b)
	}
	if again, err := db.Add("joe.bloggs@example.ORG", "+", ""); err != nil || again {
		t.Errorf("a second subscription in another case: added %v, %v", again, err)
	}
	rec, is, err := db.IsSub("JOE.BLOGGS@example.org")
	if err != nil || !is || rec != "Joe.Bloggs@example.org" {
		t.Errorf("IsSub = %q, %v, %v", rec, is, err)
	}
	if _, err := db.Add("ann@example.org", "+", "Ann <ann@example.org>"); err != nil {
		t.Fatal(err)
	}
	all, err := db.All()
	if err != nil || len(all) != 2 {
		t.Fatalf("All = %q, %v", all, err)
	}
	if gone, err := db.Remove("Joe.Bloggs@Example.Org", "-"); err != nil || !gone {
		t.Errorf("Remove: %v, %v", gone, err)
	}
	if gone, _ := db.Remove("nobody@example.org", "-"); gone {
		t.Error("removed an address that was not there")
	}
	if b, _ := os.ReadFile(name); strings.Contains(string(b), "Joe") {
		t.Errorf("after removal %s holds %q", name, b)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "Log"))
	want := "1485642996 +manual Joe.Bloggs@example.org\n1485642996 + ann@example.org Ann <ann@example.org>\n1485642996 - Joe.Bloggs@example.org\n"
	if string(log) != want {
		t.Errorf("Log:\n%s\nwant:\n%s", log, want)
	}
}

// TestOlderPlaces: an address an older list filed under the hash of its
// mixed-case form or under the 32-bit hash is found, and an
// unsubscription removes it from there. The hashed form keeps its 'T':
// ezmlm lowers the address from its second byte on (sub-std.c).
func TestOlderPlaces(t *testing.T) {
	for _, c := range []struct {
		why  string
		file byte
		ask  string // the mixed-case files are found for that case only, as in ezmlm
	}{
		{"ezmlm 0.53's mixed-case hash", ref32("TMixed.Case@example.org"), "Mixed.Case@example.org"},
		{"ezmlm-idx's 64-bit hash of the mixed-case form", ref64("TMixed.Case@example.org"), "Mixed.Case@example.org"},
		{"the 32-bit hash of the lower-case form", ref32("Tmixed.case@example.org"), "MIXED.case@example.org"},
	} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "subscribers"), 0o755)
		p := filepath.Join(dir, "subscribers", string(rune(c.file)))
		os.WriteFile(p, []byte("TMixed.Case@example.org\x00"), 0o644)
		db := &DB{Dir: dir}
		if _, is, err := db.IsSub(c.ask); err != nil || !is {
			t.Errorf("%s: not found (%v)", c.why, err)
		}
		if gone, err := db.Remove(c.ask, "-"); err != nil || !gone {
			t.Errorf("%s: Remove %v, %v", c.why, gone, err)
		}
		if b, _ := os.ReadFile(p); len(b) != 0 {
			t.Errorf("%s: left %q", c.why, b)
		}
	}
}

func TestRefusedAddresses(t *testing.T) {
	db := &DB{Dir: t.TempDir()}
	for _, a := range []string{"no-at-sign", "a\n@b", "x@" + strings.Repeat("y", 400), "a\x00b@c"} {
		if _, err := db.Add(a, "+", ""); err == nil {
			t.Errorf("Add(%q) accepted", a)
		} else if _, ok := err.(*AddressError); !ok {
			t.Errorf("Add(%q): %v is no AddressError", a, err)
		}
		if _, is, err := db.IsSub(a); is || err != nil {
			t.Errorf("IsSub(%q) = %v, %v", a, is, err)
		}
	}
	if _, err := db.Add("x@"+strings.Repeat("y", 398), "+", ""); err != nil {
		t.Errorf("a 400-byte address: %v", err)
	}
}

func FuzzSubscribers(f *testing.F) {
	f.Add("box@example.org")
	f.Add("A@B")
	f.Add("@")
	f.Fuzz(func(t *testing.T, addr string) {
		db := &DB{Dir: t.TempDir()}
		added, err := db.Add(addr, "+", "")
		if err != nil {
			return
		}
		_, is, err := db.IsSub(addr)
		if !added || !is || err != nil {
			t.Fatalf("Add(%q) = %v, then IsSub %v, %v", addr, added, is, err)
		}
		if gone, err := db.Remove(addr, "-"); !gone || err != nil {
			t.Fatalf("Remove(%q) = %v, %v", addr, gone, err)
		}
	})
}
