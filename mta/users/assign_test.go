package users

import (
	"errors"
	"testing"
)

func TestParseAssign(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantErr bool
	}{
		{"exact and wildcard lines as qmail-users(5) shows them",
			"=joe:joe:1001:100:/home/joe:::\n+joe-:joe:1001:100:/home/joe:-::\n.\n",
			[]Entry{
				{Local: "joe", User: "joe", UID: "1001", GID: "100", Home: "/home/joe"},
				{Wildcard: true, Local: "joe-", User: "joe", UID: "1001", GID: "100", Home: "/home/joe", Dash: "-"},
			}, false},
		{"empty wildcard prefix catches everything",
			"+:alias:7790:2108:/var/qmail/alias:-::\n.\n",
			[]Entry{{Wildcard: true, User: "alias", UID: "7790", GID: "2108", Home: "/var/qmail/alias", Dash: "-"}}, false},
		{"text after the seventh field is ignored, as qmail-newu stops at the sixth colon",
			"=a:u:1:2:/h:-:x:trailing:junk\n.\n",
			[]Entry{{Local: "a", User: "u", UID: "1", GID: "2", Home: "/h", Dash: "-", Ext: "x"}}, false},
		{"lines after the dot line are not read",
			".\n=garbage\n", nil, false},
		{"a dot line without newline still ends the file",
			"=a:u:1:2:/h:::\n.", []Entry{{Local: "a", User: "u", UID: "1", GID: "2", Home: "/h"}}, false},
		{"any first character other than + makes an exact entry",
			"xa:u:1:2:/h:::\n.\n", []Entry{{Local: "a", User: "u", UID: "1", GID: "2", Home: "/h"}}, false},
		{"missing dot line means a truncated file", "=a:u:1:2:/h:::\n", nil, true},
		{"empty file has no dot line", "", nil, true},
		{"last line without newline", "=a:u:1:2:/h:::", nil, true},
		{"too few fields", "=a:u:1:2:/h::\n.\n", nil, true},
		{"no colon at all", "=a\n.\n", nil, true},
		{"colon first", ":a:u:1:2:/h:::\n.\n", nil, true},
		{"NUL byte", "=a:u:1:2:/h\x00:::\n.\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAssign([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error %T is not a *FormatError", err)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestEntryKeyValue(t *testing.T) {
	tests := []struct {
		name      string
		e         Entry
		key, data string
	}{
		{"exact keys end in NUL and are lowercased",
			Entry{Local: "Joe", User: "joe", UID: "1", GID: "2", Home: "/h"},
			"!joe\x00", "joe\x001\x002\x00/h\x00\x00"},
		{"wildcard keys have no NUL",
			Entry{Wildcard: true, Local: "Joe-", User: "joe", UID: "1", GID: "2", Home: "/h", Dash: "-", Ext: "x"},
			"!joe-", "joe\x001\x002\x00/h\x00-\x00x"},
	}
	for _, tt := range tests {
		if k := string(tt.e.Key()); k != tt.key {
			t.Errorf("%s: key %q, want %q", tt.name, k, tt.key)
		}
		if v := string(tt.e.Value()); v != tt.data {
			t.Errorf("%s: data %q, want %q", tt.name, v, tt.data)
		}
	}
}

func TestWildChars(t *testing.T) {
	es := []Entry{
		{Wildcard: true, Local: "a-"},
		{Wildcard: true, Local: ""},
		{Local: "exact."},
		{Wildcard: true, Local: "b."},
		{Wildcard: true, Local: "c-"},
	}
	if got := string(wildChars(es)); got != "-." {
		t.Errorf("wildChars = %q, want %q (last chars of non-empty wildcard prefixes, once each)", got, "-.")
	}
}

func FuzzParseAssign(f *testing.F) {
	f.Add([]byte("=joe:joe:1001:100:/home/joe:::\n+joe-:joe:1001:100:/home/joe:-::\n.\n"))
	f.Add([]byte("+:alias:7790:2108:/var/qmail/alias:-::\n.\n"))
	f.Add([]byte("=a\x00:::::::\n.\n"))
	f.Add([]byte(":::::::\n"))
	f.Add([]byte("."))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseAssign(b)
		if err != nil {
			return
		}
		for _, e := range es {
			// Every accepted entry must survive the cdb encoding: six
			// NUL-separated fields.
			if _, err := assignment(e.Value()); err != nil && scanOK(e) {
				t.Fatalf("entry %+v: %v", e, err)
			}
		}
		_ = wildChars(es)
	})
}

func scanOK(e Entry) bool {
	_, a := scanUint([]byte(e.UID))
	_, b := scanUint([]byte(e.GID))
	return a && b
}
