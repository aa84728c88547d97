package rblsmtpd

import (
	"slices"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
)

// testZone lists 127.0.0.2 on bl.test and allow.test, 127.0.0.3 with two
// TXT records, 2001:db8::1 on bl.test, and makes every lookup of 127.0.0.5
// fail temporarily.
const testZone = `
2.0.0.127.bl.test.    TXT "listed: see http://bl.test/?127.0.0.2"
3.0.0.127.bl.test.    TXT "a" "b"
3.0.0.127.bl.test.    TXT "c"
6.0.0.127.bl.test.    TXT ""
2.0.0.127.allow.test. A   127.0.0.2
2.0.0.127.bl2.test.   TXT "second list"
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test. TXT "v6 listed"
`

func startDNS(t *testing.T) *dnstest.Server {
	srv := dnstest.Start(t, testZone)
	for _, n := range []string{"5.0.0.127.bl.test", "5.0.0.127.allow.test", "5.0.0.127.bl2.test"} {
		srv.Fail(n, dnstest.ServFail)
	}
	return srv
}

func TestDecisions(t *testing.T) {
	srv := startDNS(t)
	r := dnsclient.New([]string{srv.Addr})
	r.Timeouts = []time.Duration{time.Second}
	type step struct{ letter, arg string }
	tests := []struct {
		why     string
		ip      string
		env     *string
		steps   []step
		blocked bool
		reply   string
	}{
		{"listed", "127.0.0.2", nil, []step{{"r", "bl.test"}}, true, "451 listed: see http://bl.test/?127.0.0.2"},
		{"not listed", "127.0.0.9", nil, []step{{"r", "bl.test"}}, false, ""},
		{"an empty TXT is not a listing", "127.0.0.6", nil, []step{{"r", "bl.test"}}, false, ""},
		{"every TXT record and string joined", "127.0.0.3", nil, []step{{"r", "bl.test"}}, true, "451 abc"},
		{"-b makes a listing permanent", "127.0.0.2", nil, []step{{"b", ""}, {"r", "bl.test"}}, true, "553 listed: see http://bl.test/?127.0.0.2"},
		{"-b after the -r comes too late", "127.0.0.2", nil, []step{{"r", "bl.test"}, {"b", ""}}, true, "451 listed: see http://bl.test/?127.0.0.2"},
		{"-B undoes -b", "127.0.0.2", nil, []step{{"b", ""}, {"B", ""}, {"r", "bl.test"}}, true, "451 listed: see http://bl.test/?127.0.0.2"},
		{"allow list first wins", "127.0.0.2", nil, []step{{"a", "allow.test"}, {"r", "bl.test"}}, false, ""},
		{"block list first wins", "127.0.0.2", nil, []step{{"r", "bl.test"}, {"a", "allow.test"}}, true, "451 listed: see http://bl.test/?127.0.0.2"},
		{"first of two lists gives the text", "127.0.0.2", nil, []step{{"r", "bl2.test"}, {"r", "bl.test"}}, true, "451 second list"},
		{"temporary failure is passed over by default", "127.0.0.5", nil, []step{{"r", "bl.test"}}, false, ""},
		{"-c blocks on a temporary failure", "127.0.0.5", nil, []step{{"c", ""}, {"r", "bl.test"}}, true, "451 temporary RBL lookup error"},
		{"-C undoes -c", "127.0.0.5", nil, []step{{"c", ""}, {"C", ""}, {"r", "bl.test"}}, false, ""},
		{"allow list failing temporarily accepts", "127.0.0.5", nil, []step{{"a", "allow.test"}, {"c", ""}, {"r", "bl.test"}}, false, ""},
		{"allow list failing with -c goes on", "127.0.0.5", nil, []step{{"c", ""}, {"a", "allow.test"}, {"r", "bl.test"}}, true, "451 temporary RBL lookup error"},
		{"IPv6 in nibbles", "2001:db8::1", nil, []step{{"r", "bl.test"}}, true, "451 v6 listed"},
		{"v4-mapped as IPv4", "::ffff:127.0.0.2", nil, []step{{"r", "bl.test"}}, true, "451 listed: see http://bl.test/?127.0.0.2"},
		{"no address, no lookup", "", nil, []step{{"r", "bl.test"}}, false, ""},
		{"RBLSMTPD empty accepts", "127.0.0.2", ptr(""), []step{{"r", "bl.test"}}, false, ""},
		{"RBLSMTPD with dash is permanent", "127.0.0.9", ptr("-go away"), []step{{"r", "bl.test"}}, true, "553 go away"},
		{"RBLSMTPD is temporary", "127.0.0.9", ptr("later"), nil, true, "451 later"},
		{"RBLSMTPD beats -a", "127.0.0.2", ptr("later"), []step{{"a", "allow.test"}}, true, "451 later"},
		{"RBLSMTPD dash alone", "127.0.0.9", ptr("-"), nil, true, "553 "},
	}
	for _, tc := range tests {
		d := newDecider(tc.ip, func() (resolver, error) { return r, nil })
		if tc.env != nil {
			d.environment(*tc.env)
		}
		for _, s := range tc.steps {
			var err error
			switch s.letter {
			case "r":
				err = d.rbl(s.arg)
			case "a":
				err = d.antiRBL(s.arg)
			case "b":
				d.rblBounce = true
			case "B":
				d.rblBounce = false
			case "c":
				d.failClosed = true
			case "C":
				d.failClosed = false
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.why, err)
			}
		}
		blocked, reply := d.blocked()
		if blocked != tc.blocked || reply != tc.reply {
			t.Errorf("%s: got %v %q, want %v %q", tc.why, blocked, reply, tc.blocked, tc.reply)
		}
	}
}

func ptr(s string) *string { return &s }

// A temporary failure anywhere turns a later permanent listing into 451,
// so that a client is never bounced on half the information.
func TestTemporaryFailureForbidsBounce(t *testing.T) {
	srv := startDNS(t)
	r := dnsclient.New([]string{srv.Addr})
	for _, ip := range []string{"127.0.0.5"} {
		d := newDecider(ip, func() (resolver, error) { return r, nil })
		d.rblBounce = true
		d.rbl("bl.test") // fails temporarily
		srv.Add(t, "5.0.0.127.bl3.test. TXT \"listed later\"")
		d.rbl("bl3.test")
		if blocked, reply := d.blocked(); !blocked || reply != "451 listed later" {
			t.Errorf("got %v %q", blocked, reply)
		}
	}
}

func TestLookupsOnlyWhenUndecided(t *testing.T) {
	srv := startDNS(t)
	r := dnsclient.New([]string{srv.Addr})
	d := newDecider("127.0.0.2", func() (resolver, error) { return r, nil })
	d.rbl("bl.test")
	d.rbl("bl2.test")
	d.antiRBL("allow.test")
	var names []string
	for _, q := range srv.Queries() {
		names = append(names, q.Name+" "+q.Type)
	}
	if !slices.Equal(names, []string{"2.0.0.127.bl.test TXT"}) {
		t.Errorf("queries after the decision: %v", names)
	}
	made := false
	d = newDecider("127.0.0.2", func() (resolver, error) { made = true; return r, nil })
	d.environment("")
	d.rbl("bl.test")
	if made {
		t.Error("the resolver was set up although $RBLSMTPD had decided")
	}
}
