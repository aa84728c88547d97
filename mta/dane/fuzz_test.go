package dane

import (
	"testing"
	"time"
)

// FuzzParse: a TLSA record's text must parse to a record that prints back
// to text that parses the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"3 1 1 0123abcd", "2 0 2 00 ff", "0 0 0 00", "256 1 1 00", "3 1 1 0", "", "3 1 1 \\# 2 00ff", "1 2 3 " + string(make([]byte, 70))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("%q: %q does not parse back (%v)", s, r.String(), err)
		}
		if r.Usable() && len(r.Data) == 0 {
			t.Fatalf("%q: usable without data", s)
		}
	})
}

// FuzzVerify: whatever a server sends for a chain, and whatever the
// records say, Verify answers without panicking, and never passes a
// chain with no usable record.
func FuzzVerify(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	f.Add([]byte{}, "2 0 0 30")
	f.Fuzz(func(t *testing.T, der []byte, rec string) {
		r, err := Parse(rec)
		if err != nil {
			return
		}
		err = Verify([][]byte{der, der}, []Record{r}, []string{"mx.example.test"}, time.Unix(1700000000, 0))
		if err == nil && !r.Usable() {
			t.Fatalf("passed with an unusable record %v", r)
		}
	})
}
