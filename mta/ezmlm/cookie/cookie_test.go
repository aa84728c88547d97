package cookie

import "testing"

// TestHashArchiveIndex holds Hash and AuthorHash to lines of an archive
// index written by ezmlm-idx itself: the test list of ruby-ezmlm
// (spec/data/testlist/archive/0/index, messages 1, 2 and 49, and the
// From fields of archive/0/01 and 0/02), "N: SUBJECTHASH subject" and
// "\tdate;AUTHORHASH author".
func TestHashArchiveIndex(t *testing.T) {
	for _, c := range []struct{ why, in, want string }{
		{"message 1's subject", "Trying to compress program on the sensor?", "dipjdfoipmjmlcnacell"},
		{"message 2's subject", "Help - parse SAS on the circuit?????", "loljcjcijaaiehejkmbl"},
		{"message 49's subject", "Indexing bandwidth with some panel.", "plgjeghieffkgcoihijk"},
		{"message 46's subject", "Copying JBOD on alarm?", "kjhpgmdbjikagjmdeice"},
		{"spaces and tabs do not count", "Indexing  bandwidth with\tsome panel.", "plgjeghieffkgcoihijk"},
	} {
		if got := Hash([]byte(c.in)); got != c.want {
			t.Errorf("%s: Hash(%q) = %s, want %s", c.why, c.in, got, c.want)
		}
	}
	for _, c := range []struct{ why, from, want string }{
		{"archive/0/01", " Theresia Lang <ivah_ortiz@example.net>", "odhojfifmnbblilkmbfh"},
		{"archive/0/46", " Rosalyn Dickens <felicita@example.net>", "lidjkfbomeemfmfnobbf"},
	} {
		if got := AuthorHash([]byte(c.from)); got != c.want {
			t.Errorf("%s: AuthorHash(%q) = %s, want %s", c.why, c.from, got, c.want)
		}
	}
	// 7.2.2's capitals: "COPYING" is not "copying".
	if Hash([]byte("copying jbod on alarm?")) == Hash([]byte("Copying JBOD on alarm?")) {
		t.Error("capitals folded to lower case, unlike ezmlm-idx 7.2.2")
	}
}

// TestCookieShape: 20 letters a-p, different for each input that
// enters the hash (key, date, address, action), the same for the same
// input.
func TestCookieShape(t *testing.T) {
	key := []byte("some random key bytes\x00\x01")
	base := Cookie(key, "1180000000", "box@example.org", 's')
	if len(base) != Len {
		t.Fatalf("cookie %q is %d bytes", base, len(base))
	}
	for _, c := range base {
		if c < 'a' || c > 'p' {
			t.Fatalf("cookie %q has %q", base, c)
		}
	}
	if again := Cookie(key, "1180000000", "box@example.org", 's'); again != base {
		t.Errorf("same input, cookies %s and %s", base, again)
	}
	for _, c := range []struct {
		why        string
		key        []byte
		date, addr string
		action     byte
	}{
		{"another key", []byte("other"), "1180000000", "box@example.org", 's'},
		{"a key one byte shorter (the digest list's)", key[:len(key)-1], "1180000000", "box@example.org", 's'},
		{"another date", key, "1180000001", "box@example.org", 's'},
		{"another address", key, "1180000000", "Box@example.org", 's'},
		{"another action", key, "1180000000", "box@example.org", 'u'},
	} {
		if got := Cookie(c.key, c.date, c.addr, c.action); got == base {
			t.Errorf("%s: the same cookie %s", c.why, got)
		}
	}
}

// TestSURFBlocks: input longer than one 32-byte block, and exactly one
// block, hash differently from their prefixes (the block counter and the
// sums are used).
func TestSURFBlocks(t *testing.T) {
	seen := map[string]int{}
	for n := 0; n <= 70; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		h := Hash(b)
		if m, dup := seen[h]; dup {
			t.Errorf("%d and %d bytes hash alike: %s", m, n, h)
		}
		seen[h] = n
	}
}

func FuzzAuthorHash(f *testing.F) {
	f.Add([]byte(" Theresia Lang <ivah_ortiz@example.net>"))
	f.Add([]byte("@"))
	f.Add([]byte("a-b@c;d"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, from []byte) {
		if h := AuthorHash(from); len(h) != Len {
			t.Fatalf("AuthorHash(%q) = %q", from, h)
		}
	})
}
