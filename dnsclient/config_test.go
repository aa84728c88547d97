package dnsclient

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	os.WriteFile(conf, []byte("# comment\nnameserver 192.0.2.53\nnameserver ::1\nnameserver bogus\nsearch a.example b.example\noptions ndots:2\n"), 0o644)
	empty := filepath.Join(dir, "empty.conf")
	os.WriteFile(empty, []byte("search only.example\n"), 0o644)
	missing := filepath.Join(dir, "missing.conf")

	tests := []struct {
		why     string
		env     map[string]string
		conf    string
		servers []string
		search  []string
		wantErr bool
	}{
		{"DNSCACHEIP wins over resolv.conf", map[string]string{"DNSCACHEIP": "127.0.0.2"}, conf,
			[]string{"127.0.0.2:53"}, []string{"a.example", "b.example"}, false},
		{"port extension for tests", map[string]string{"DNSCACHEIP": "127.0.0.1:5353"}, conf,
			[]string{"127.0.0.1:5353"}, []string{"a.example", "b.example"}, false},
		{"several, spaces and commas, IPv6 with and without port", map[string]string{"DNSCACHEIP": "127.0.0.1, ::1 [::1]:5300,,192.0.2.1:54"}, missing,
			[]string{"127.0.0.1:53", "[::1]:53", "[::1]:5300", "192.0.2.1:54"}, nil, false},
		{"v4-mapped server is dialled as IPv4", map[string]string{"DNSCACHEIP": "::ffff:127.0.0.9"}, missing,
			[]string{"127.0.0.9:53"}, nil, false},
		{"empty DNSCACHEIP falls back to resolv.conf, as djbdns does", map[string]string{"DNSCACHEIP": ""}, conf,
			[]string{"192.0.2.53:53", "[::1]:53"}, []string{"a.example", "b.example"}, false},
		{"resolv.conf without nameservers gives 127.0.0.1", nil, empty,
			[]string{"127.0.0.1:53"}, []string{"only.example"}, false},
		{"no resolv.conf gives 127.0.0.1", nil, missing, []string{"127.0.0.1:53"}, nil, false},
		{"LOCALDOMAIN replaces the search list", map[string]string{"LOCALDOMAIN": "x.example  y.example"}, conf,
			[]string{"192.0.2.53:53", "[::1]:53"}, []string{"x.example", "y.example"}, false},
		{"garbage in DNSCACHEIP is an error, not a silent fallback", map[string]string{"DNSCACHEIP": "127.0.0.1 cache.example"}, conf,
			nil, nil, true},
		{"port 0 is no port", map[string]string{"DNSCACHEIP": "127.0.0.1:0"}, conf, nil, nil, true},
	}
	for _, tc := range tests {
		r, err := fromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }, tc.conf)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: no error, servers %v", tc.why, r.Servers())
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.why, err)
			continue
		}
		if !slices.Equal(r.Servers(), tc.servers) || !slices.Equal(r.Search, tc.search) {
			t.Errorf("%s: got %v %v, want %v %v", tc.why, r.Servers(), r.Search, tc.servers, tc.search)
		}
	}
}

func TestParseServersKeepsAtMost16(t *testing.T) {
	v := ""
	for range 20 {
		v += "127.0.0.1 "
	}
	s, err := ParseServers(v)
	if err != nil || len(s) != MaxServers {
		t.Errorf("got %d servers, %v", len(s), err)
	}
}

func TestQualify(t *testing.T) {
	r := &Resolver{Search: []string{"a.example", "b.example."}}
	tests := []struct {
		why, name string
		want      []string
	}{
		{"a dotless name gets each search domain, then itself", "mail", []string{"mail.a.example", "mail.b.example", "mail"}},
		{"a name with a dot is taken as it is", "mail.example", []string{"mail.example"}},
		{"a trailing dot means absolute", "mail.", []string{"mail"}},
		{"empty stays empty", "", []string{""}},
	}
	for _, tc := range tests {
		if got := r.Qualify(tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.why, got, tc.want)
		}
	}
}
