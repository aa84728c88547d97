package users

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// djbGet is cdb_seek written from the format description in cdb(5)
// (http://cr.yp.to/cdb/cdb.txt), independent of the writer: a 2048-byte
// header of 256 (position, slots) pairs, hash h = ((h << 5) + h) ^ c from
// 5381, table h & 255, first slot (h >> 8) % slots, linear probing, an
// empty slot has position 0.
func djbGet(t *testing.T, db []byte, key []byte) ([]byte, bool) {
	t.Helper()
	u32 := func(off uint32) uint32 {
		if int(off)+4 > len(db) {
			t.Fatalf("offset %d beyond the %d-byte file", off, len(db))
		}
		return binary.LittleEndian.Uint32(db[off:])
	}
	h := uint32(5381)
	for _, c := range key {
		h = ((h << 5) + h) ^ uint32(c)
	}
	pos, slots := u32(8*(h&255)), u32(8*(h&255)+4)
	if slots == 0 {
		return nil, false
	}
	start := (h >> 8) % slots
	for n := uint32(0); n < slots; n++ {
		slot := pos + 8*((start+n)%slots)
		sh, rp := u32(slot), u32(slot+4)
		if rp == 0 {
			return nil, false
		}
		if sh != h {
			continue
		}
		kl, dl := u32(rp), u32(rp+4)
		if bytes.Equal(db[rp+8:rp+8+kl], key) {
			return db[rp+8+kl : rp+8+kl+dl], true
		}
	}
	return nil, false
}

const assignText = "=joe:joe:1001:100:/home/joe:::\n" +
	"+joe-:joe:1001:100:/home/joe:-::\n" +
	"+list.:lists:1002:100:/home/lists:-:ml-:\n" +
	"+:alias:7790:2108:/var/qmail/alias:-::\n" +
	".\n"

func writeTestCDB(t *testing.T, text string) string {
	t.Helper()
	es, err := ParseAssign([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cdb")
	if err := WriteCDB(p, es); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteCDBFormat(t *testing.T) {
	p := writeTestCDB(t, assignText)
	db, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
	// qmail-newu adds records in file order right after the header.
	first := []byte("\x05\x00\x00\x00\x18\x00\x00\x00!joe\x00joe\x001001\x00100\x00/home/joe\x00\x00")
	if !bytes.Equal(db[2048:2048+len(first)], first) {
		t.Errorf("first record %q, want %q", db[2048:2048+len(first)], first)
	}
	tests := []struct{ key, data string }{
		{"!joe\x00", "joe\x001001\x00100\x00/home/joe\x00\x00"},
		{"!joe-", "joe\x001001\x00100\x00/home/joe\x00-\x00"},
		{"!list.", "lists\x001002\x00100\x00/home/lists\x00-\x00ml-"},
		{"!", "alias\x007790\x002108\x00/var/qmail/alias\x00-\x00"},
		{"", "-."},
	}
	for _, tt := range tests {
		got, ok := djbGet(t, db, []byte(tt.key))
		if !ok || string(got) != tt.data {
			t.Errorf("key %q: got %q, %v; want %q", tt.key, got, ok, tt.data)
		}
	}
	if _, ok := djbGet(t, db, []byte("!nobody\x00")); ok {
		t.Error("found a key never written")
	}
}

func TestLookupCDB(t *testing.T) {
	p := writeTestCDB(t, assignText)
	tests := []struct {
		name  string
		local string
		want  Assignment
	}{
		{"exact entry", "joe",
			Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe"}},
		{"exact entry ignores case", "JOE",
			Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe"}},
		{"wildcard appends the rest, case kept", "joe-Foo-bar",
			Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe", Dash: "-", Ext: "Foo-bar"}},
		{"wildcard prefix equal to the whole address leaves an empty rest", "joe-",
			Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe", Dash: "-"}},
		{"wildcard entry's ext is a prefix of the extension", "list.x",
			Assignment{User: "lists", UID: 1002, GID: 100, Home: "/home/lists", Dash: "-", Ext: "ml-x"}},
		{"no exact joex entry and joe is not followed by a wildcard char: catch-all", "joex",
			Assignment{User: "alias", UID: 7790, GID: 2108, Home: "/var/qmail/alias", Dash: "-", Ext: "joex"}},
		{"longest prefix wins over the catch-all", "joe-list.x",
			Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe", Dash: "-", Ext: "list.x"}},
	}
	for _, tt := range tests {
		got, ok, err := lookupCDB(p, tt.local)
		if err != nil || !ok || got != tt.want {
			t.Errorf("%s: lookupCDB(%q) = %+v, %v, %v; want %+v", tt.name, tt.local, got, ok, err, tt.want)
		}
	}
}

func TestLookupCDBMisses(t *testing.T) {
	p := writeTestCDB(t, "=joe:joe:1001:100:/home/joe:::\n+joe-:joe:1001:100:/home/joe:-::\n.\n")
	for _, local := range []string{"jo", "joex", "bob-joe-"} {
		if a, ok, err := lookupCDB(p, local); ok || err != nil {
			t.Errorf("lookupCDB(%q) = %+v, %v, %v; want no entry", local, a, ok, err)
		}
	}
	if _, ok, err := lookupCDB(filepath.Join(t.TempDir(), "none"), "joe"); ok || err != nil {
		t.Errorf("missing users/cdb: %v, %v; want no entry and no error", ok, err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("short"), 0o644)
	if _, _, err := lookupCDB(bad, "joe"); err == nil {
		t.Error("a corrupt users/cdb gave no error")
	}
}
