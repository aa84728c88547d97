package tlsrpt

import (
	"errors"
	"slices"
	"testing"
)

func TestParseRecord(t *testing.T) {
	cases := []struct {
		in   string
		rua  []string
		fail bool
	}{
		{"v=TLSRPTv1; rua=mailto:reports@example.com", []string{"mailto:reports@example.com"}, false},
		{"v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.com/tlsrpt;", []string{"mailto:a@example.com", "https://r.example.com/tlsrpt"}, false},
		{"v=TLSRPTv1 ; rua=mailto:a@example.com , mailto:b@example.com", []string{"mailto:a@example.com", "mailto:b@example.com"}, false},
		{"v=TLSRPTv1; ext=1; rua=mailto:a@example.com", []string{"mailto:a@example.com"}, false},
		{"v=TLSRPTv1; rua=ftp://x.example/,mailto:a@example.com", []string{"mailto:a@example.com"}, false},
		{"v=TLSRPTv1; rua=http://insecure.example/", nil, false},
		{"v=TLSRPTv1", nil, true},
		{"v=TLSRPTv1; ext=1", nil, true},
		{"v=TLSRPTv2; rua=mailto:a@example.com", nil, true},
		{"rua=mailto:a@example.com; v=TLSRPTv1", nil, true},
		{"v=TLSRPTv1; rua=", nil, true},
		{"v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", nil, true},
		{"v=TLSRPTv1;; rua=mailto:a@example.com", nil, true},
		{"v=TLSRPTv1; -x=1; rua=mailto:a@example.com", nil, true},
	}
	for _, c := range cases {
		r, err := ParseRecord(c.in)
		if c.fail != (err != nil) || !slices.Equal(r.RUA, c.rua) {
			t.Errorf("ParseRecord(%q) = %q, %v", c.in, r.RUA, err)
		}
	}
}

func TestFindRecord(t *testing.T) {
	if _, err := FindRecord([]string{"v=spf1 -all"}); !errors.Is(err, ErrNoRecord) {
		t.Error(err)
	}
	if _, err := FindRecord([]string{"v=TLSRPTv1; rua=mailto:a@x.test", "v=TLSRPTv1; rua=mailto:b@x.test"}); !errors.Is(err, ErrManyRecs) {
		t.Error(err)
	}
	r, err := FindRecord([]string{"other", "v=TLSRPTv1; rua=mailto:a@x.test"})
	if err != nil || r.RUA[0] != "mailto:a@x.test" {
		t.Error(r, err)
	}
}

func TestMailAddress(t *testing.T) {
	for in, want := range map[string]string{
		"mailto:reports@example.com":            "reports@example.com",
		"MAILTO:reports@example.com?subject=hi": "reports@example.com",
		"mailto:tls%2Dreports@example.com":      "tls-reports@example.com",
		"mailto:a@example.com%2Cb@example.com":  "",
		"mailto:nobody":                         "",
		"https://example.com/":                  "",
		"mailto:a%0A@example.com":               "",
	} {
		if got := MailAddress(in); got != want {
			t.Errorf("MailAddress(%q) = %q", in, got)
		}
	}
}
