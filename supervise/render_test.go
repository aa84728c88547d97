package supervise

import (
	"testing"

	"github.com/quail-mta/quail/supervise/status"
	"github.com/quail-mta/quail/tai64"
)

func TestRender(t *testing.T) {
	now := tai64.Label{Sec: tai64.Offset + 1000}
	at := func(ago uint64) tai64.Label { return tai64.Label{Sec: now.Sec - ago} }
	cases := []struct {
		why        string
		st         status.Status
		normallyUp bool
		want       string
	}{
		{"plain running service", status.Status{Stamp: at(5), PID: 42, Want: 'u'}, true, "up (pid 42) 5 seconds"},
		{"running with ./down", status.Status{Stamp: at(5), PID: 42, Want: 'u'}, false, "up (pid 42) 5 seconds, normally down"},
		{"down without ./down", status.Status{Stamp: at(7), Want: 'd'}, true, "down 7 seconds, normally up"},
		{"down as ./down says", status.Status{Stamp: at(7), Want: 'd'}, false, "down 7 seconds"},
		{"paused shows only while up", status.Status{Stamp: at(1), PID: 3, Paused: true, Want: 'u'}, true, "up (pid 3) 1 seconds, paused"},
		{"paused byte ignored when down", status.Status{Stamp: at(1), Paused: true, Want: 'd'}, false, "down 1 seconds"},
		{"waiting to be restarted", status.Status{Stamp: at(0), Want: 'u'}, true, "down 0 seconds, normally up, want up"},
		{"told down but still running", status.Status{Stamp: at(9), PID: 8, Want: 'd'}, true, "up (pid 8) 9 seconds, want down"},
		{"everything at once, in 0.76's order", status.Status{Stamp: at(2), PID: 8, Paused: true, Want: 'd'}, false, "up (pid 8) 2 seconds, normally down, paused, want down"},
		{"once: no wish either way", status.Status{Stamp: at(3), PID: 8, Want: 0}, true, "up (pid 8) 3 seconds"},
		{"a stamp in the future counts as now", status.Status{Stamp: tai64.Label{Sec: now.Sec + 100}, PID: 8, Want: 'u'}, true, "up (pid 8) 0 seconds"},
		{"pid above 2^31 prints unsigned", status.Status{Stamp: at(0), PID: 0xfffffffe, Want: 'u'}, true, "up (pid 4294967294) 0 seconds"},
	}
	for _, c := range cases {
		if got := render(c.st, c.normallyUp, now); got != c.want {
			t.Errorf("%s: %q, want %q", c.why, got, c.want)
		}
	}
}
