package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/smtpsend"
	"github.com/quail-mta/quail/bench/internal/watch"
)

// rates is one system's acceptance and end-to-end figures.
type rates struct {
	accepted, delivered float64       // messages per second
	cpu                 time.Duration // processor time per message, every process of the system
	cpuSplit            string        // the same by root process, when there are several
	short               int           // messages smtp-source had not sent within the phase time
	missing             int           // messages not delivered within the phase time
	lat                 []time.Duration
}

// throughput measures the rates and latencies of quail, then Postfix,
// each on a fresh instance.
func (b *bench) throughput(rate, latency bool) error {
	fmt.Printf("rates: smtp-source -s %d, %d messages of %d bytes, one message per connection; latency: %d messages one at a time\n",
		b.c.s, b.c.n, b.c.size, b.c.samples)
	// quail once per -reuse value (with tcpserver reusing qmail-smtpd
	// processes, and with one qmail-smtpd per connection), then Postfix;
	// the rates in rounds, the systems taking turns, so that a stretch of
	// load from elsewhere on a shared machine falls on both. The figures
	// are each system's medians; the latencies come from the first round.
	rounds := 1
	if rate {
		rounds = max(1, b.c.rounds)
	}
	names := make([]string, len(b.c.reuse))
	qRounds := make([][]*rates, len(b.c.reuse))
	var pRounds []*rates
	for round := 0; round < rounds; round++ {
		if rounds > 1 {
			fmt.Printf("round %d of %d\n", round+1, rounds)
		}
		lat := latency && round == 0
		for i, n := range b.c.reuse {
			b.reuse = n
			q, err := b.measure(b.startQuail, rate, lat)
			if err != nil {
				return fmt.Errorf("quail: %w", err)
			}
			qRounds[i] = append(qRounds[i], q)
			names[i] = quailName(n)
		}
		if b.postfixOK {
			p, err := b.measure(b.startPostfix, rate, lat)
			if err != nil {
				fmt.Printf("postfix: not measured: %v\n", err)
				b.postfixOK = false
				pRounds = nil
			} else {
				pRounds = append(pRounds, p)
			}
		}
		if rate && rounds > 1 {
			for i, q := range qRounds {
				line := fmt.Sprintf("  %s: acceptance %.0f msg/s", names[i], q[round].accepted)
				if len(pRounds) > round {
					p := pRounds[round]
					line += fmt.Sprintf("  postfix: %.0f msg/s  ratio: %.2f", p.accepted, q[round].accepted/p.accepted)
				}
				fmt.Println(line)
			}
		}
	}
	qs := make([]*rates, len(qRounds))
	for i, r := range qRounds {
		qs[i] = medianRates(r)
	}
	var p *rates
	if len(pRounds) > 0 {
		p = medianRates(pRounds)
	}
	if rate && rounds > 1 {
		fmt.Printf("medians of %d rounds:\n", rounds)
	}
	if rate {
		fmt.Println("acceptance rate (smtp-source's messages / its run time); target: at least Postfix's")
		for i, q := range qs {
			printRate(names[i], q.accepted, p, func(r *rates) float64 { return r.accepted }, true)
		}
		fmt.Println("end-to-end rate (messages / time from smtp-source's start to the last file in Maildir/new)")
		for i, q := range qs {
			printRate(names[i], q.delivered, p, func(r *rates) float64 { return r.delivered }, false)
		}
		fmt.Println("processor time per message, user+system of every process of the system from acceptance to delivery (less load-sensitive than the rates)")
		for i, q := range qs {
			line := fmt.Sprintf("%s: %s", names[i], ms(q.cpu))
			if p != nil {
				line += fmt.Sprintf("  postfix: %s  ratio: %.2f", ms(p.cpu), float64(q.cpu)/float64(p.cpu))
			}
			fmt.Println(line)
			if q.cpuSplit != "" {
				fmt.Printf("  by process tree: %s\n", q.cpuSplit)
			}
		}
		all := append([]*rates{p}, qs...)
		for i, r := range all {
			name := "postfix"
			if i > 0 {
				name = names[i-1]
			}
			if r != nil && r.short > 0 {
				fmt.Printf("%s: INCOMPLETE: smtp-source stopped after %v with %d of %d messages sent; the rates are of what was done, the processor time an upper bound\n",
					name, b.c.phaseTime, b.c.n-r.short, b.c.n)
			}
			if r != nil && r.missing > r.short {
				fmt.Printf("%s: INCOMPLETE: %d accepted messages not in Maildir/new %v after the start; the rate is of those that were\n",
					name, r.missing-r.short, b.c.phaseTime+time.Minute)
			}
		}
	}
	if latency {
		fmt.Println("latency from the 250 reply to the end of DATA to the file in Maildir/new; target: quail's median under 5 ms")
		for i, q := range qs {
			qm, q99 := quantile(q.lat, 50), quantile(q.lat, 99)
			line := fmt.Sprintf("%s: median %s p99 %s", names[i], ms(qm), ms(q99))
			if p != nil {
				pm, p99 := quantile(p.lat, 50), quantile(p.lat, 99)
				line += fmt.Sprintf("  postfix: median %s p99 %s  ratio: median %.2f p99 %.2f", ms(pm), ms(p99),
					float64(qm)/float64(pm), float64(q99)/float64(p99))
			}
			fmt.Println(line + "  " + verdict(qm < 5*time.Millisecond))
		}
	}
	return nil
}

// medianRates is one system's figures over rounds: the median of each
// rate and of the processor time, the latencies of the first round, and
// the largest shortfalls.
func medianRates(rs []*rates) *rates {
	med := func(pick func(*rates) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = pick(r)
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	m := &rates{
		accepted:  med(func(r *rates) float64 { return r.accepted }),
		delivered: med(func(r *rates) float64 { return r.delivered }),
		cpu:       time.Duration(med(func(r *rates) float64 { return float64(r.cpu) })),
		lat:       rs[0].lat,
	}
	// The split by process tree is the one of the round whose processor
	// time is nearest the median.
	nearest := rs[0]
	for _, r := range rs {
		m.short = max(m.short, r.short)
		m.missing = max(m.missing, r.missing)
		if (r.cpu - m.cpu).Abs() < (nearest.cpu - m.cpu).Abs() {
			nearest = r
		}
	}
	m.cpuSplit = nearest.cpuSplit
	return m
}

// quailName labels a quail configuration in the figures.
func quailName(reuse int) string {
	if reuse > 0 {
		return fmt.Sprintf("quail (TCPSERVERREUSE=%d)", reuse)
	}
	return "quail (a process per connection)"
}

func printRate(name string, q float64, p *rates, pick func(*rates) float64, target bool) {
	line := fmt.Sprintf("%s: %.0f msg/s", name, q)
	if p != nil {
		line += fmt.Sprintf("  postfix: %.0f msg/s  ratio: %.2f", pick(p), q/pick(p))
		if target {
			line += "  " + verdict(q >= pick(p))
		}
	}
	fmt.Println(line)
}

func verdict(met bool) string {
	if met {
		return "(target met)"
	}
	return "(target NOT met)"
}

// measure starts a system, runs the rate and latency parts on it and
// stops it.
func (b *bench) measure(start func(int) (*target, error), rate, latency bool) (*rates, error) {
	t, err := start(b.c.s + 10)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	settle()
	fmt.Printf("  %s: load average %s at the start\n", t.name, loadavg())
	r := &rates{}
	if rate {
		if err := b.rate(t, r); err != nil {
			return nil, fmt.Errorf("%v%s", err, t.logs())
		}
	}
	if latency {
		if r.lat, err = b.latency(t); err != nil {
			return nil, fmt.Errorf("%v%s", err, t.logs())
		}
	}
	return r, nil
}

// settle writes back what the machine has written so far (sync(2)) and
// waits Settle, so that a system measured does not pay for the write-back
// of what ran before it, nor, on ext4 without a journal, for the inodes
// freed before it: the allocator passes an inode freed in the last 5
// seconds over, or in the last 5 minutes while its inode table block is
// not written back, and the run before frees tens of thousands.
func settle() {
	syscall.Sync()
	time.Sleep(Settle)
}

// Settle is the wait after the sync: the 5 seconds, and one more.
const Settle = 6 * time.Second

// rate runs smtp-source against t and waits for every message in new/.
// smtp-source gets the phase time; the deliveries a minute more. A
// system that does not finish in time gets the rate of what it did (from
// smtp-source's running counter, -c) and the shortfall.
func (b *bench) rate(t *target, r *rates) error {
	w, err := watch.Dir(t.newDir, b.c.n+1024)
	if err != nil {
		return err
	}
	defer w.Close()
	cpu0, err := t.cpu()
	if err != nil {
		return err
	}
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(b.c.phaseTime))
	defer cancel()
	cmd := exec.CommandContext(ctx, b.c.source, "-c", "-s", strconv.Itoa(b.c.s), "-m", strconv.Itoa(b.c.n),
		"-l", strconv.Itoa(b.c.size), "-M", "client.test", "-f", "load@remote.test", "-t", t.rcpt, t.addr)
	var errs strings.Builder
	counted := &counter{}
	cmd.Stdout, cmd.Stderr = counted, &errs
	err = cmd.Run()
	took := time.Since(start)
	r.accepted = float64(b.c.n) / took.Seconds()
	if ctx.Err() != nil {
		r.short = b.c.n - counted.last
		r.accepted = float64(counted.last) / took.Seconds()
	} else if err != nil {
		return fmt.Errorf("smtp-source against %s: %v %s", t.name, err, errs.String())
	}
	seen := map[string]bool{}
	var last time.Time
	deadline := time.NewTimer(time.Until(start.Add(b.c.phaseTime + time.Minute)))
	defer deadline.Stop()
wait:
	for len(seen) < b.c.n-r.short {
		select {
		case a, ok := <-w.C:
			if !ok {
				return errors.New("inotify watch ended")
			}
			seen[a.Name] = true
			last = a.At
		case <-deadline.C:
			last = time.Now()
			break wait
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("no message delivered in %v", b.c.phaseTime+time.Minute)
	}
	r.missing = b.c.n - len(seen)
	r.delivered = float64(len(seen)) / last.Sub(start).Seconds()
	// Let the last deliveries' processes end and be reaped, and the
	// queue be cleaned, before taking the processor time. After a time
	// out this counts work on messages not delivered: the figure is then
	// an upper bound.
	time.Sleep(time.Second)
	cpu1, err := t.cpu()
	if err != nil {
		return err
	}
	var parts []string
	for i := range cpu1 {
		per := (cpu1[i] - cpu0[i]) / time.Duration(len(seen))
		r.cpu += per
		parts = append(parts, fmt.Sprintf("%s %s", t.rootName[i], ms(per)))
	}
	if len(parts) > 1 {
		r.cpuSplit = strings.Join(parts, "; ")
	}
	return nil
}

// counter keeps the last number of smtp-source's running counter (-c),
// which it rewrites in place: digits ended by CR.
type counter struct {
	digits []byte
	last   int
}

func (c *counter) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case b >= '0' && b <= '9':
			c.digits = append(c.digits, b)
		default:
			if k, err := strconv.Atoi(string(c.digits)); err == nil {
				c.last = k
			}
			c.digits = c.digits[:0]
		}
	}
	return len(p), nil
}

// latency sends samples messages one at a time and times each from the
// end of its DATA to its file in new/.
func (b *bench) latency(t *target) ([]time.Duration, error) {
	w, err := watch.Dir(t.newDir, 64)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	body := message(b.c.size)
	var lat []time.Duration
	deadline := time.Now().Add(b.c.phaseTime)
	for i := 0; i < b.c.samples; i++ {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d latency samples in %v", i, b.c.samples, b.c.phaseTime)
		}
		done, err := smtpsend.One(t.addr, "lat@remote.test", t.rcpt, body)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		select {
		case a, ok := <-w.C:
			if !ok {
				return nil, errors.New("inotify watch ended")
			}
			lat = append(lat, a.At.Sub(done))
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("message %d not delivered within 30 s", i)
		}
	}
	return lat, nil
}

// quantile returns the q-th percentile of d (sorting it).
func quantile(d []time.Duration, q int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := len(d) * q / 100
	if i >= len(d) {
		i = len(d) - 1
	}
	return d[i]
}
