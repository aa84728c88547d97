package mtasts

import (
	"errors"
	"testing"
)

func TestParseRecord(t *testing.T) {
	cases := []struct {
		in   string
		id   string
		fail bool
	}{
		{"v=STSv1; id=20160831085700Z;", "20160831085700Z", false},
		{"v=STSv1;id=abc", "abc", false},
		{"v=STSv1 ;  id=abc ; ", "abc", false},
		{"v=STSv1; ext=val; id=abc", "abc", false},
		{"v=STSv1; id=first; id=second", "first", false},
		{"v=STSv1; id=0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef", false},
		{"v=STSv1; id=0123456789abcdef0123456789abcdef0", "", true}, // 33 characters
		{"v=STSv1; id=a-b", "", true},
		{"v=STSv1;", "", true},
		{"v=STSv1", "", true},
		{"id=abc; v=STSv1", "", true},
		{"v=STSv2; id=abc", "", true},
		{"v=STSv1; id=abc; bad", "", true},
		{"v=STSv1; id=abc;; x=y", "", true},
		{"v=STSv1; id=abc; x=a=b", "", true},
		{"v=STSv1; id=", "", true},
	}
	for _, c := range cases {
		id, err := ParseRecord(c.in)
		if c.fail != (err != nil) || id != c.id {
			t.Errorf("ParseRecord(%q) = %q, %v", c.in, id, err)
		}
	}
}

func TestFindRecord(t *testing.T) {
	cases := []struct {
		why  string
		txts []string
		id   string
		err  error
	}{
		{"one record", []string{"v=STSv1; id=a"}, "a", nil},
		{"other TXT records are discarded", []string{"v=spf1 -all", "v=STSv1; id=a"}, "a", nil},
		{"none", []string{"v=spf1 -all"}, "", ErrNoRecord},
		{"nothing", nil, "", ErrNoRecord},
		{"two: no policy", []string{"v=STSv1; id=a", "v=STSv1; id=b"}, "", ErrManyRecs},
		{"one, malformed", []string{"v=STSv1; nothing"}, "", ErrBadRecord},
	}
	for _, c := range cases {
		id, err := FindRecord(c.txts)
		if id != c.id || !errors.Is(err, c.err) {
			t.Errorf("%s: %q, %v", c.why, id, err)
		}
	}
}
