package send

import (
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestNextRetry(t *testing.T) {
	birth := time.Unix(1_000_000, 0)
	for _, c := range []struct {
		why   string
		birth time.Time
		age   time.Duration
		ch    Channel
		at    int64 // seconds after birth's second
	}{
		{"new local message: (0+10)^2", birth, 0, Local, 100},
		{"new remote message: (0+20)^2", birth, 0, Remote, 400},
		{"remote after 400 s: (20+20)^2", birth, 400 * time.Second, Remote, 1600},
		{"remote after 1600 s: (40+20)^2", birth, 1600 * time.Second, Remote, 3600},
		{"local after 100 s: (10+10)^2", birth, 100 * time.Second, Local, 400},
		{"the square root is rounded down: 399 s -> 19", birth, 399 * time.Second, Remote, 39 * 39},
		{"a clock before birth counts as age 0", birth, -time.Hour, Remote, 400},
		{"queuelifetime's age: isqrt(604800) = 777", birth, 604800 * time.Second, Remote, 797 * 797},
		{"a perfect square: isqrt(777^2) = 777", birth, 777 * 777 * time.Second, Local, 787 * 787},
		{"one below it: 776", birth, (777*777 - 1) * time.Second, Local, 786 * 786},
		// qmail counts whole seconds: a birth late in its second and a
		// round 399.5 s later are 400 s apart (1000000 to 1000400).
		{"whole seconds, as st_mtime and now() are", birth.Add(999999999), 399*time.Second + 500*time.Millisecond, Remote, 1600},
	} {
		got := NextRetry(c.birth, c.birth.Add(c.age), c.ch)
		if want := time.Unix(c.birth.Unix()+c.at, 0); !got.Equal(want) {
			t.Errorf("%s: %v, want %v", c.why, got, want)
		}
	}
}

func TestIsqrt(t *testing.T) {
	for x := int64(0); x < 100000; x++ {
		y := isqrt(x)
		if y*y > x || (y+1)*(y+1) <= x {
			t.Fatalf("isqrt(%d) = %d", x, y)
		}
	}
	for _, x := range []int64{1 << 32, 1<<40 + 12345, 1<<62 - 1} {
		y := isqrt(x)
		if y*y > x || (y+1)*(y+1) <= x {
			t.Errorf("isqrt(%d) = %d", x, y)
		}
	}
}

// TestRetryScheduleSurvivesRestart runs qmail-send on a clock: a remote
// delivery deferred in the first run records its retry time
// (birth + (0+20)^2) as its remote/N file's modification time; a second
// run started a second before that time does not retry it (a message
// queued after the start is delivered, the deferred one is not
// started: a due one would have been started first); a third run at that
// time retries it, and records the next retry, birth + (20+20)^2.
func TestRetryScheduleSurvivesRestart(t *testing.T) {
	for _, c := range []struct{ why, env string }{
		{"one recipient, written down at its deferral", "Fs@x.example\x00Tdefer@remote.example\x00\x00"},
		{"preprocessed", "Fs@x.example\x00Tok@localhost\x00Tdefer@remote.example\x00\x00"},
	} {
		h := newHarness(t)
		start := time.Now().Truncate(time.Second) // not after the birth
		var clock atomic.Int64
		clock.Store(start.Unix())
		h.now = func() time.Time { return time.Unix(clock.Load(), 0) }
		id := h.inject(c.env)
		sigs := make(chan os.Signal, 1)
		mark := len(h.log.String())
		waitLog := func(re string) {
			t.Helper()
			rx := regexp.MustCompile(re)
			if !testbin.Eventually(30*time.Second, func() bool { return rx.MatchString(h.log.String()[mark:]) }) {
				t.Fatalf("%s: log never matched %q:\n%s", c.why, re, h.log.String())
			}
		}
		mtime := func() time.Time {
			t.Helper()
			fi, err := os.Stat(h.q.Remote(id))
			if err != nil {
				t.Fatalf("%s: %v", c.why, err)
			}
			return fi.ModTime()
		}
		done := h.run(stepNone, sigs)
		waitLog(`delivery \d+: deferral: `)
		h.stop(sigs, done)
		fi, err := os.Stat(h.q.Info(id))
		if err != nil {
			t.Fatal(err)
		}
		birth := fi.ModTime().Unix()
		if got, want := mtime(), time.Unix(birth+400, 0); !got.Equal(want) {
			t.Fatalf("%s: remote/N's time after the deferral %v, want birth + 400 s = %v", c.why, got, want)
		}

		clock.Store(birth + 399)
		mark = len(h.log.String())
		done = h.run(stepNone, sigs)
		next := h.inject("Fs@x.example\x00Tnext@localhost\x00\x00")
		waitLog(`end msg ` + next.String() + `\n`)
		h.stop(sigs, done)
		if strings.Contains(h.log.String()[mark:], "msg "+id.String()+" to remote") {
			t.Errorf("%s: retried before its time after a restart:\n%s", c.why, h.log.String()[mark:])
		}
		if got, want := mtime(), time.Unix(birth+400, 0); !got.Equal(want) {
			t.Errorf("%s: remote/N's time after a restart %v, want still %v", c.why, got, want)
		}

		clock.Store(birth + 400)
		mark = len(h.log.String())
		done = h.run(stepNone, sigs)
		waitLog(`starting delivery \d+: msg ` + id.String() + ` to remote defer@remote.example\n(.|\n)*delivery \d+: deferral: `)
		h.stop(sigs, done)
		if got, want := mtime(), time.Unix(birth+1600, 0); !got.Equal(want) {
			t.Errorf("%s: remote/N's time after the second deferral %v, want birth + 1600 s = %v", c.why, got, want)
		}
	}
}
