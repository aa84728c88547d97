package cluster

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The cluster's addresses, all in 198.18.0.0/24.
const (
	hubIP    = subnet + "10"
	mx1IP    = subnet + "21"
	mx2IP    = subnet + "22"
	backupIP = subnet + "30"
	nc1IP    = subnet + "41"
	nc2IP    = subnet + "42"
)

// zone is the DNS of example.test: two MX hosts of equal preference and
// a backup MX behind them (qmail-remote tries the lowest preference
// first, equal ones in random order; the backup drops itself and every
// MX at or above its own preference, so it only hands on to the two).
const zone = `
example.test.         MX 10 mx1.example.test.
example.test.         MX 10 mx2.example.test.
example.test.         MX 20 backup.example.test.
mx1.example.test.     A  ` + mx1IP + `
mx2.example.test.     A  ` + mx2IP + `
backup.example.test.  A  ` + backupIP + `
hub.example.test.     A  ` + hubIP + `
nc1.example.test.     A  ` + nc1IP + `
nc2.example.test.     A  ` + nc2IP + `
`

// load is the steady stream of messages the null clients inject: each
// feeder injects one message every pace, retrying a failed injection
// (a null client has no queue: qmail-inject fails temporarily and the
// sender tries again) with the same id, so a message the hub took while
// its answer was lost shows up as a duplicate.
type load struct {
	pace    time.Duration
	feeders []*feeder

	mu       sync.Mutex
	accepted map[string]time.Time // id -> when qmail-inject exited 0
	failed   map[int]int          // exit code -> injections that failed so
	pending  map[string]bool      // ids not accepted yet
	err      error
	stop     chan struct{} // no new ids; the failed ones are still retried
	abort    chan struct{} // the test is over: end at once
	wg       sync.WaitGroup
}

func newLoad(pace time.Duration) *load {
	return &load{pace: pace, accepted: map[string]time.Time{}, failed: map[int]int{},
		pending: map[string]bool{}, stop: make(chan struct{}), abort: make(chan struct{})}
}

// run feeds f until stop is closed and then until its failed ids are
// accepted, or until deadline or abort.
func (l *load) run(f *feeder, deadline time.Time) {
	l.feeders = append(l.feeders, f)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		seq := 0
		var retry []string
		stopping := false
		for time.Now().Before(deadline) {
			select {
			case <-l.abort:
				return
			case <-l.stop:
				stopping = true
			default:
			}
			var id string
			switch {
			case len(retry) > 0:
				id, retry = retry[0], retry[1:]
			case stopping:
				return
			default:
				seq++
				id = fmt.Sprintf("%s-%04d", f.h.name, seq)
			}
			began := time.Now()
			code, err := f.inject(id)
			l.mu.Lock()
			switch {
			case err != nil:
				l.err = err
				l.pending[id] = true
				l.mu.Unlock()
				return
			case code == 0:
				l.accepted[id] = time.Now()
				delete(l.pending, id)
			default:
				l.failed[code]++
				l.pending[id] = true
				retry = append(retry, id)
			}
			l.mu.Unlock()
			select {
			case <-l.abort:
				return
			case <-time.After(l.pace - time.Since(began)):
			}
		}
	}()
}

// finish stops the load and waits (at most limit) until every failed
// injection has been retried.
func (l *load) finish(limit time.Duration) error {
	close(l.stop)
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		return fmt.Errorf("the null clients were still injecting after %v", limit)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if len(l.pending) > 0 {
		return fmt.Errorf("never accepted: %v", keys(l.pending))
	}
	return nil
}

// end stops everything at once: the test is over, passed or not.
func (l *load) end() {
	close(l.abort)
	for _, f := range l.feeders {
		f.kill()
	}
	l.wg.Wait()
}

// acceptedDuring lists the ids accepted between from and to.
func (l *load) acceptedDuring(from, to time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id, at := range l.accepted {
		if at.After(from) && at.Before(to) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (l *load) failures() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.failed {
		n += c
	}
	return n
}

func (l *load) acceptedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accepted)
}

// TestMXFailover is quail beyond one machine, tested on one (issue 16,
// item 9). Six hosts, each its own namespace and quail instance:
//
//   - two null clients (quail-setup -n: qmail-inject's qmail-queue is
//     qmail-qmqpc, control/qmqpservers names the hub), injecting a steady
//     stream of messages to demo@example.test;
//   - the hub (quail-setup -q: its qmqpd admits the null clients), which
//     sends them on by SMTP to example.test's MX hosts;
//   - mx1 and mx2, MX 10, each delivering example.test into its demo
//     Maildir, the final mailboxes;
//   - backup, MX 20, which relays example.test (rcpthosts, not locals).
//
// Under the load: mx1 crashes (every process SIGKILLed); mail goes to
// mx2; mx2 is cut off (its cable pulled), so the hub has only the backup,
// which holds the mail; mx1 comes back, the backup passes its queue on;
// mx2 is plugged back; then the hub is cut off, the null clients'
// injections fail and are retried, and the hub comes back. At the end
// every accepted message is in mx1's or mx2's mailbox, none lost, each
// on a path the MX rules allow (hub to mx1 or mx2, or hub to backup to
// mx1 or mx2), the backup carried some, and the duplicates (qmail's
// delivery is at least once: a copy delivered but not yet recorded when a
// host dies is delivered again) are reported and bounded.
func TestMXFailover(t *testing.T) {
	n := newNetwork(t)
	began := time.Now()
	// Everything below waits on a condition with a deadline; the whole
	// test stops by itself well inside make test's time limit.
	deadline := began.Add(4 * time.Minute)

	n.dns(zone)

	hub := newHost(t, n, "hub", hubIP, hubPrograms, false, "-q", subnet)
	mx1 := newHost(t, n, "mx1", mx1IP, mxPrograms, true)
	mx2 := newHost(t, n, "mx2", mx2IP, mxPrograms, true)
	backup := newHost(t, n, "backup", backupIP, mxPrograms, true)
	nc1 := newHost(t, n, "nc1", nc1IP, nullPrograms, false, "-n", hubIP)
	nc2 := newHost(t, n, "nc2", nc2IP, nullPrograms, false, "-n", hubIP)
	servers := []*host{hub, mx1, mx2, backup}
	for _, h := range []*host{mx1, mx2} {
		h.addControl("locals", "example.test")
		h.addControl("rcpthosts", "example.test")
	}
	backup.addControl("rcpthosts", "example.test")
	for _, h := range []*host{hub, backup} {
		// A host that is cut off answers nothing: give up on it after
		// 2 s (qmail's default is 60) and on a stalled session after
		// 30 s (1200).
		h.control("timeoutconnect", "2\n")
		h.control("timeoutremote", "30\n")
	}
	for _, h := range servers {
		h := h
		t.Cleanup(h.dumpLogs)
		t.Cleanup(h.stop)
		h.start()
	}
	for _, a := range []string{hubIP + ":628", mx1IP + ":25", mx2IP + ":25", backupIP + ":25"} {
		wait(t, deadline, 30*time.Second, a+" to listen", func() bool { return n.listening(a) })
	}

	boxes := newMailboxes([]*host{hub, mx1, mx2, backup, nc1, nc2}, mx1, mx2)
	l := newLoad(100 * time.Millisecond)
	l.run(nc1.feeder(), deadline)
	l.run(nc2.feeder(), deadline)
	t.Cleanup(l.end)
	phase := func(what string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), what) }

	// Steady state: the hub spreads the mail over the two MX hosts of
	// preference 10.
	phase("steady load")
	wait(t, deadline, 40*time.Second, "both MX hosts to get mail", func() bool {
		c := boxes.scan()
		return direct(c, "mx1") >= 15 && direct(c, "mx2") >= 15
	})
	beforeKill := boxes.scan()

	phase("mx1 crashes")
	mx1.crash()
	phase(fmt.Sprintf("mx1 left %d messages in its queue", mx1.queued()))
	wait(t, deadline, 30*time.Second, "mx2 to take mx1's share", func() bool {
		return direct(boxes.scan(), "mx2") >= direct(beforeKill, "mx2")+30
	})

	phase("mx2 is cut off: only the backup is left")
	n.unplug("mx2")
	wait(t, deadline, 40*time.Second, "the backup to hold mail", func() bool { return backup.queued() >= 15 })
	held := backup.queued()

	phase(fmt.Sprintf("mx1 restarts; the backup holds %d messages", held))
	mx1.start()
	wait(t, deadline, 30*time.Second, "mx1 to listen again", func() bool { return n.listening(mx1IP + ":25") })
	waitFlushing(t, deadline, 30*time.Second, "the backup to pass its queue on", []*host{backup, hub}, func() bool {
		return viaBackup(boxes.scan()) >= held && backup.drained()
	})

	phase("mx2 is plugged back")
	n.plug("mx2")
	atPlug := direct(boxes.scan(), "mx2")
	waitFlushing(t, deadline, 30*time.Second, "mx2 to get mail again", []*host{hub, backup}, func() bool {
		return direct(boxes.scan(), "mx2") >= atPlug+10
	})

	// A null client has no queue to fall back on: while the hub is away,
	// an injection either waits (a QMQP session under way when the
	// cable went stalls until TCP gets through again) or fails after
	// qmail-qmqpc's 10 s connect timeout, and is retried.
	phase("the hub is cut off")
	failures := l.failures()
	n.unplug("hub")
	cut := time.Now()
	waitFor(deadline, 15*time.Second, func() bool { return l.failures() >= failures+2 })
	phase(fmt.Sprintf("the hub is plugged back; %d injections failed meanwhile", l.failures()-failures))
	n.plug("hub")
	hubBack := time.Now()
	if got := l.acceptedDuring(cut.Add(time.Second), hubBack); len(got) > 0 {
		t.Errorf("accepted while the hub was cut off: %v", got)
	}
	atBack := l.acceptedCount()
	waitFlushing(t, deadline, 30*time.Second, "injections to succeed again", []*host{hub}, func() bool {
		return l.acceptedCount() >= atBack+40
	})
	phase("the load stops")
	if err := l.finish(90 * time.Second); err != nil {
		t.Fatal(err)
	}

	// Every accepted message arrives; what is deferred somewhere is
	// retried now and then, as an operator does after an outage.
	phase(fmt.Sprintf("%d messages accepted; waiting for all of them", len(l.accepted)))
	lastNote := time.Now()
	complete := func() bool {
		got := count(boxes.scan())
		for id := range l.accepted {
			if got[id] == 0 {
				if time.Since(lastNote) > 5*time.Second {
					var q []string
					for _, h := range servers {
						q = append(q, fmt.Sprintf("%s %d", h.name, h.queued()))
					}
					phase(fmt.Sprintf("%s missing; queues: %s", id, strings.Join(q, ", ")))
					lastNote = time.Now()
				}
				return false
			}
		}
		return true
	}
	if !waitFor(deadline, 60*time.Second, flushing(servers, complete)) {
		got := count(boxes.scan())
		var lost []string
		for id := range l.accepted {
			if got[id] == 0 {
				lost = append(lost, id)
			}
		}
		sort.Strings(lost)
		for _, h := range servers {
			t.Logf("%s: %d messages in its queue", h.name, h.queued())
		}
		t.Fatalf("%d of %d accepted messages never arrived: %v", len(lost), len(l.accepted), lost)
	}
	if !waitFor(deadline, 30*time.Second, flushing(servers, func() bool {
		for _, h := range servers {
			if !h.drained() {
				return false
			}
		}
		return true
	})) {
		for _, h := range servers {
			t.Logf("%s's queue (qmail-qread):\n%s%s", h.name, h.run("qmail-qread"), h.queueFiles())
		}
		t.Fatal("timed out waiting for every queue to empty")
	}
	for _, h := range servers {
		// Known: a message delivered straight from todo/ while its
		// qmail-queue is still syncing todo/ cannot be cleaned up at once
		// ("qmail-clean unable to clean up msg N"); its mess and intd
		// files wait for qmail-send's next cleanup, within 10 minutes.
		if k := h.queued(); k > 0 {
			t.Logf("%s: %d message files left for qmail-send's cleanup (%d warnings in its log):\n%s", h.name, k,
				strings.Count(h.log("qmail-send"), "warning: qmail-clean unable to clean up msg"), h.queueFiles())
		}
	}
	phase("all delivered")

	copies := boxes.scan()
	// Where each copy went is what the MX rules allow.
	allowed := map[string]bool{"hub mx1": true, "hub mx2": true, "hub backup mx1": true, "hub backup mx2": true}
	paths := map[string]int{}
	for _, c := range copies {
		p := strings.Join(c.path, " ")
		paths[p]++
		if !allowed[p] {
			t.Errorf("%s reached %s by %q, which the MX rules do not allow", c.id, c.box, p)
		}
		if _, ok := l.accepted[c.id]; !ok {
			t.Errorf("%s (in %s) was never accepted by a null client", c.id, c.box)
		}
	}
	// While both MX hosts of preference 10 took mail, nothing went to the
	// backup.
	for _, c := range beforeKill {
		if len(c.path) != 2 {
			t.Errorf("%s went %v while mx1 and mx2 were both up", c.id, c.path)
		}
	}
	if viaBackup(copies) == 0 {
		t.Errorf("the backup MX carried nothing")
	}
	// Duplicates: only messages that were on their way during an outage,
	// and a bounded number of them.
	var dups []string
	for id, k := range count(copies) {
		if k > 1 {
			dups = append(dups, fmt.Sprintf("%s x%d", id, k))
			if l.accepted[id].After(hubBack) {
				t.Errorf("%s was delivered %d times though it was accepted after the last outage", id, k)
			}
		}
	}
	sort.Strings(dups)
	t.Logf("%d messages accepted, %d copies delivered; paths %v; %d injections failed and were retried (exit codes %v); %d duplicates %v; %.0f s",
		len(l.accepted), len(copies), paths, l.failures(), l.failed, len(dups), dups, time.Since(began).Seconds())
	if len(dups) > 30 {
		t.Errorf("%d duplicates: more than the deliveries under way at the outages can explain", len(dups))
	}
	for _, h := range servers {
		if strings.Contains(h.log("qmail-send"), " bounce msg ") {
			t.Errorf("%s bounced a message", h.name)
		}
	}
}

// viaBackup is the number of copies that passed through the backup MX.
func viaBackup(copies []copy) int {
	n := 0
	for _, c := range copies {
		for _, p := range c.path {
			if p == "backup" {
				n++
			}
		}
	}
	return n
}

// waitFor polls cond until it holds, for at most limit and never past
// deadline.
func waitFor(deadline time.Time, limit time.Duration, cond func() bool) bool {
	end := time.Now().Add(limit)
	if end.After(deadline) {
		end = deadline
	}
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// flushing is cond, flushing hosts (qmail-tcpok, svc -a) every 3 s
// while it does not hold: what is deferred during an outage is otherwise
// retried only at qmail-send's schedule, minutes later, and a delivery
// that was under way when a flush came may defer just after it.
func flushing(hosts []*host, cond func() bool) func() bool {
	var last time.Time
	return func() bool {
		if cond() {
			return true
		}
		if time.Since(last) > 3*time.Second {
			for _, h := range hosts {
				h.flush()
			}
			last = time.Now()
		}
		return false
	}
}

func waitFlushing(t *testing.T, deadline time.Time, limit time.Duration, what string, hosts []*host, cond func() bool) {
	t.Helper()
	wait(t, deadline, limit, what, flushing(hosts, cond))
}

func wait(t *testing.T, deadline time.Time, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitFor(deadline, limit, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
