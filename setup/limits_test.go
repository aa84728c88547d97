package setup

import (
	"reflect"
	"testing"

	"github.com/quail-mta/quail/internal/rtlimit"
)

var testFloor = rtlimit.Needs{Data: 100000000, AS: 1500000000}

func TestLowLimits(t *testing.T) {
	env := map[string]string{"DATALIMIT": "3000000", "BIG": "300000000"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct {
		why, script string
		want        []lowLimit
	}{
		{"the classic qmail-smtpd run script", "exec /usr/local/bin/softlimit -m 2000000 /usr/local/bin/tcpserver -v -R 0 smtp qmail-smtpd 2>&1",
			[]lowLimit{{"-m 2000000", 1500000000, "address space"}}},
		{"-m above the data floor is still below the address space one", "softlimit -m 300000000 tcpserver",
			[]lowLimit{{"-m 300000000", 1500000000, "address space"}}},
		{"-d above the floor is fine", "exec softlimit -d 300000000 tcpserver", nil},
		{"-d below", "exec softlimit -d3000000 tcpserver", []lowLimit{{"-d 3000000", 100000000, "data"}}},
		{"-a below, with other options", "softlimit -o 100 -a 500000000 -d 200000000 x", []lowLimit{{"-a 500000000", 1500000000, "address space"}}},
		{"a variable from env", `exec softlimit -d "$DATALIMIT" \`, []lowLimit{{"-d 3000000", 100000000, "data"}}},
		{"${} form, and a fine value", "softlimit -d ${BIG} x", nil},
		{"an unknown variable is not a number", "softlimit -d $NOPE x", nil},
		{"= is the hard limit", "softlimit -m = x", nil},
		{"options end at the child", "softlimit tcpserver -d 1 x", nil},
		{"a comment", "# softlimit -m 2000000 was here", nil},
		{"softlimit after envdir, in quotes", "envdir ./env sh -c 'exec softlimit -m 3000000 qmail-smtpd'", []lowLimit{{"-m 3000000", 1500000000, "address space"}}},
		{"a missing value", "softlimit -d", nil},
	} {
		if got := lowLimits(tc.script, lookup, testFloor); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q gives %+v, want %+v", tc.why, tc.script, got, tc.want)
		}
	}
}

// FuzzLowLimits: a run script is an administrator's text; reading it
// never panics and reports only values below the floor.
func FuzzLowLimits(f *testing.F) {
	for _, s := range []string{
		"exec softlimit -m 2000000 tcpserver 0 smtp qmail-smtpd",
		"exec softlimit -d \"$DATALIMIT\" \\\n  tcpserver",
		"softlimit -m3000000 -a 1 -d",
		"softlimit -- -m 1",
		"softlimit -z 1 x",
		"#softlimit -m 1",
		"softlimit -d ${} x",
	} {
		f.Add(s)
	}
	lookup := func(k string) (string, bool) { return "3000000", k == "DATALIMIT" }
	f.Fuzz(func(t *testing.T, script string) {
		for _, l := range lowLimits(script, lookup, testFloor) {
			if l.need != testFloor.Data && l.need != testFloor.AS {
				t.Errorf("%q: need %d is no floor", script, l.need)
			}
		}
	})
}
