package rules

import (
	"github.com/quail-mta/quail/internal/cdbmake"

	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// memFile is an in-memory io.WriterAt.
type memFile struct{ b []byte }

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// dumpCDB lists the records of a cdb in file order, checking the layout.
func dumpCDB(t *testing.T, b []byte) []kv {
	t.Helper()
	end := binary.LittleEndian.Uint32(b[0:])
	for i := 0; i < 256; i++ {
		if p := binary.LittleEndian.Uint32(b[i*8:]); p < end {
			end = p
		}
	}
	var out []kv
	for p := uint32(cdbmake.HeaderSize); p < end; {
		kl := binary.LittleEndian.Uint32(b[p:])
		vl := binary.LittleEndian.Uint32(b[p+4:])
		out = append(out, kv{string(b[p+8 : p+8+kl]), string(b[p+8+kl : p+8+kl+vl])})
		p += 8 + kl + vl
	}
	return out
}

// A key whose djb hash is 0 (found by a meet-in-the-middle search).
// cdb_make and djb's reader mark a free slot by position 0; colinmarc/cdb
// marks it by hash 0, in its writer and in its reader (see tcprules(1),
// BUGS). Our writer must follow cdb_make.
const hashZeroKey = "\x87\x9f\x87\x01\x01\xe8R"

// djbFind is cdb_find: probe from (h>>8) % len until a slot whose position
// is 0, comparing hash then key.
func djbFind(b []byte, key string) (string, bool) {
	h := cdbmake.Hash([]byte(key))
	pos := binary.LittleEndian.Uint32(b[(h&255)*8:])
	n := binary.LittleEndian.Uint32(b[(h&255)*8+4:])
	for i, slot := uint32(0), (h>>8)%max(n, 1); i < n; i, slot = i+1, (slot+1)%n {
		sh := binary.LittleEndian.Uint32(b[pos+slot*8:])
		sp := binary.LittleEndian.Uint32(b[pos+slot*8+4:])
		if sp == 0 {
			return "", false
		}
		if sh != h {
			continue
		}
		kl := binary.LittleEndian.Uint32(b[sp:])
		vl := binary.LittleEndian.Uint32(b[sp+4:])
		if string(b[sp+8:sp+8+kl]) == key {
			return string(b[sp+8+kl : sp+8+kl+vl]), true
		}
	}
	return "", false
}

func TestCDBHashZeroKey(t *testing.T) {
	if h := cdbmake.Hash([]byte(hashZeroKey)); h != 0 {
		t.Fatalf("hash of the test key is %d, want 0", h)
	}
	var f memFile
	w := cdbmake.New(&f)
	// Other keys of table 0, added after it, probe through its slot.
	var table0 []string
	for i := 0; len(table0) < 40; i++ {
		k := fmt.Sprintf("k%d", i)
		if cdbmake.Hash([]byte(k))&255 == 0 {
			table0 = append(table0, k)
		}
	}
	w.Add([]byte(hashZeroKey), []byte("zero"))
	for _, k := range table0 {
		w.Add([]byte(k), []byte("v"+k))
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{hashZeroKey: "zero"}
	for _, k := range table0 {
		want[k] = "v" + k
	}
	for k, v := range want {
		if got, ok := djbFind(f.b, k); !ok || got != v {
			t.Errorf("key %q: got %q, %v; want %q", k, got, ok, v)
		}
	}
}

// Golden digests of Debian's tcprules output (ucspi-tcp-ipv6 0.88-7) for
// small inputs, so byte identity is checked even where Debian's tool is
// not installed.
func TestCDBGolden(t *testing.T) {
	tests := []struct{ why, in, sha string }{
		{"one allow rule", "1.2.3.4:allow\n", "d2ab3dd6ef2582b78ab823ca02e99901ed35456d92c23aca4aaafaecc905e6cb"},
		{"empty input is an empty cdb", "", "ad292543e381bc50175b6b6452ccc06e579755910a528c8dc7d18019279e1f3f"},
	}
	for _, tc := range tests {
		var f memFile
		if err := Compile(strings.NewReader(tc.in), &f); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(f.b)
		if got := hex.EncodeToString(sum[:]); got != tc.sha {
			t.Errorf("%s: sha256 %s, want %s", tc.why, got, tc.sha)
		}
	}
}
