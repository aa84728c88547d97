package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/proc"
	"github.com/quail-mta/quail/bench/internal/smtpsend"
)

// ServedWithin is the target for a normal client's message while the
// sessions are held: from its connection to the reply to its end of DATA.
const ServedWithin = 5 * time.Second

// pidsSpare is how many pids below pid_max the benchmark leaves to the
// rest of the machine when it decides how many sessions to hold.
const pidsSpare = 2000

// memResult is one system's figures for held sessions.
type memResult struct {
	name       string
	chain      string   // the processes of one session
	one        proc.Mem // one idle session, summed over its processes
	oneThreads int
	n          int      // sessions held open for the second figure
	procs      int      // processes serving them
	total      proc.Mem // summed over those processes
	threads    int
	fds        int           // descriptors of those processes
	server     proc.Mem      // tcpserver or master(8), shared by every session
	srvThreads int           // its threads
	srvFDs     int           // its descriptors
	srvLimit   int           // its soft limit on open files
	opening    time.Duration // to open the n sessions
	sysThreads int           // threads on the whole machine while they are held
	files      int           // file handles allocated on the machine meanwhile
	normal     time.Duration // a normal client's message meanwhile
	normalErr  error
}

func (b *bench) memory() error {
	n := b.c.sessions
	if err := raiseOpenFiles(2*n + 1000); err != nil {
		return err
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	_, fileMax, _ := proc.SystemFiles()
	fmt.Printf("sessions: each connects, reads the greeting, sends EHLO, reads the reply and holds; open files %d (soft) %d (hard), file-max %d; pid_max %d, threads in use %d\n",
		rl.Cur, rl.Max, fileMax, proc.PIDMax(), proc.SystemThreads())
	if limit := int(rl.Cur) - 100; n > limit {
		fmt.Printf("sessions: %d, not %d: this process may open only %d files\n", limit, n, rl.Cur)
		n = limit
	}
	var results []*memResult
	for _, reuse := range b.c.reuse {
		b.reuse = reuse
		q, err := b.memoryOf(b.startQuail, n)
		if err != nil {
			return fmt.Errorf("quail: %w", err)
		}
		results = append(results, q)
	}
	quails := len(results)
	if b.postfixOK {
		p, err := b.memoryOf(b.startPostfix, n)
		if err != nil {
			fmt.Printf("postfix: not measured: %v\n", err)
		} else {
			results = append(results, p)
		}
	}
	var p *memResult
	if len(results) > quails {
		p = results[quails]
	}
	report(results[:quails], p)
	return nil
}

// raiseOpenFiles lifts this process's open-file limit to at least want
// (as root also the hard limit): it holds the client end of every
// session, and tcpserver and Postfix, started from here, inherit it.
// syscall.Setrlimit, not x/sys: os/exec then gives children the raised
// limit instead of the one the process started with.
func raiseOpenFiles(want int) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Max < uint64(want) {
		raised := rl
		raised.Max, raised.Cur = uint64(want), uint64(want)
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return nil
		}
	}
	rl.Cur = rl.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
}

// report prints every system's figures: quail's for each TCPSERVERREUSE
// value, each beside Postfix's with the ratio.
func report(qs []*memResult, p *memResult) {
	var names []string
	for _, q := range qs {
		names = append(names, q.name+": "+q.chain)
	}
	if p != nil {
		names = append(names, p.name+": "+p.chain)
	}
	fmt.Printf("one idle session (%s); target: quail under 2 MiB private per session\n", strings.Join(names, "; "))
	one := func(f func(proc.Mem) int) func(*memResult) float64 {
		return func(r *memResult) float64 { return float64(f(r.one)) }
	}
	row(qs, p, "private (with the program text no other process maps yet)", kib, one(func(m proc.Mem) int { return m.Private }), nil)
	row(qs, p, "anonymous (what a further session adds)", kib, one(func(m proc.Mem) int { return m.Anonymous }), func(v float64) bool { return v < 2048 })
	row(qs, p, "pss", kib, one(func(m proc.Mem) int { return m.Pss }), nil)
	row(qs, p, "threads", count, func(r *memResult) float64 { return float64(r.oneThreads) }, nil)

	for _, r := range append(append([]*memResult{}, qs...), p) {
		if r != nil {
			fmt.Printf("%s: %d sessions held by %d processes, opened in %v\n", r.name, r.n, r.procs, r.opening.Round(time.Millisecond))
		}
	}
	fmt.Println("held sessions, per session:")
	per := func(f func(proc.Mem) int) func(*memResult) float64 {
		return func(r *memResult) float64 { return float64(f(r.total)) / float64(r.n) }
	}
	row(qs, p, "private", kib, per(func(m proc.Mem) int { return m.Private }), func(v float64) bool { return v < 2048 })
	row(qs, p, "anonymous", kib, per(func(m proc.Mem) int { return m.Anonymous }), nil)
	row(qs, p, "pss", kib, per(func(m proc.Mem) int { return m.Pss }), nil)
	row(qs, p, "threads", count, func(r *memResult) float64 { return float64(r.threads) / float64(r.n) }, nil)
	row(qs, p, "descriptors", count, func(r *memResult) float64 { return float64(r.fds) / float64(r.n) }, nil)
	fmt.Println("server process shared by all sessions (quail: tcpserver; postfix: master):")
	row(qs, p, "private", kib, func(r *memResult) float64 { return float64(r.server.Private) }, nil)
	row(qs, p, "pss", kib, func(r *memResult) float64 { return float64(r.server.Pss) }, nil)
	row(qs, p, "threads", count, func(r *memResult) float64 { return float64(r.srvThreads) }, nil)
	row(qs, p, "descriptors (of its open-file limit)", func(v float64) string { return fmt.Sprintf("%.0f", v) },
		func(r *memResult) float64 { return float64(r.srvFDs) }, nil)
	fmt.Println("limits while the sessions are held:")
	pidMax := proc.PIDMax()
	_, fileMax, _ := proc.SystemFiles()
	for _, r := range append(append([]*memResult{}, qs...), p) {
		if r == nil {
			continue
		}
		within := r.sysThreads < pidMax && r.files < fileMax && (r.srvLimit < 0 || r.srvFDs < r.srvLimit)
		fmt.Printf("  %s: threads on the machine %d of pid_max %d; file handles %d of file-max %d; server descriptors %d of %d  %s\n",
			r.name, r.sysThreads, pidMax, r.files, fileMax, r.srvFDs, r.srvLimit, verdictWithin(within))
	}
	fmt.Printf("a normal client's message while the sessions are held, connect to the reply to its end of DATA; target: under %v\n", ServedWithin)
	for _, r := range append(append([]*memResult{}, qs...), p) {
		if r == nil {
			continue
		}
		if r.normalErr != nil {
			fmt.Printf("  %s: not served: %v  target: missed\n", r.name, r.normalErr)
			continue
		}
		fmt.Printf("  %s: %s  %s\n", r.name, ms(r.normal), verdict(r.normal < ServedWithin))
	}
}

func count(v float64) string { return fmt.Sprintf("%.1f", v) }

func verdictWithin(ok bool) string {
	if ok {
		return "within the limits"
	}
	return "OVER A LIMIT"
}

// row prints one figure: each quail configuration, Postfix's, and each
// quail figure's ratio to Postfix's; target judges quail's figures.
func row(qs []*memResult, p *memResult, what string, format func(float64) string, pick func(*memResult) float64, target func(float64) bool) {
	line := "  " + what + ":"
	for _, q := range qs {
		line += fmt.Sprintf("  %s: %s", q.name, format(pick(q)))
	}
	if p != nil {
		line += fmt.Sprintf("  %s: %s", p.name, format(pick(p)))
		if pv := pick(p); pv > 0 {
			var ratios []string
			for _, q := range qs {
				ratios = append(ratios, fmt.Sprintf("%.2f", pick(q)/pv))
			}
			line += "  ratio: " + strings.Join(ratios, ", ")
		}
	}
	if target != nil {
		met := true
		for _, q := range qs {
			met = met && target(pick(q))
		}
		line += "  " + verdict(met)
	}
	fmt.Println(line)
}

// memoryOf starts a system allowing n sessions (and a normal client
// beside them), measures one held session, then n, then serves one
// normal message while they are held.
func (b *bench) memoryOf(start func(int) (*target, error), n int) (*memResult, error) {
	t, err := start(n + 100)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	r := &memResult{name: "quail"}
	if strings.HasPrefix(t.name, "postfix") {
		r.name = "postfix"
	} else if b.reuse > 0 {
		r.name = fmt.Sprintf("quail reuse %d", b.reuse)
	} else {
		r.name = "quail reuse 0"
	}
	fmt.Printf("  %s: load average %s at the start\n", t.name, loadavg())
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	c, err := openSession(t.addr)
	if err != nil {
		return nil, err
	}
	conns = append(conns, c)
	if _, err := waitSessions(t, 1, 10*time.Second); err != nil {
		return nil, err
	}
	// The processes of this one session are those holding its socket;
	// Postfix may have other smtpd processes idle.
	procs, err := proc.ServingTCP(c.RemoteAddr().(*net.TCPAddr).Port, c.LocalAddr().(*net.TCPAddr).Port)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range procs {
		names = append(names, p.Comm)
	}
	sort.Strings(names)
	r.chain = strings.Join(names, "+")
	if r.one, r.oneThreads, _, err = sum(procs); err != nil {
		return nil, err
	}
	// Each session's threads count against the kernel's pid limit.
	if free := proc.PIDMax() - proc.SystemThreads() - pidsSpare; r.oneThreads > 0 && (n-1)*r.oneThreads > free {
		m := free/r.oneThreads + 1
		fmt.Printf("%s: %d sessions, not %d: %d threads each and %d pids left below pid_max (keeping %d spare)\n", t.name, m, n, r.oneThreads, free, pidsSpare)
		n = m
	}
	// Postfix's master starts about 20 smtpd processes a second here
	// under load: 5,000 take four minutes.
	within := max(b.c.phaseTime, time.Duration(n)*80*time.Millisecond)
	began := time.Now()
	more, err := openSessions(t.addr, n-1, within)
	conns = append(conns, more...)
	if err != nil {
		return nil, fmt.Errorf("%d of %d sessions open: %v%s", len(conns), n, err, t.logs())
	}
	procs, err = waitSessions(t, n, time.Minute)
	if err != nil {
		return nil, err
	}
	r.n, r.procs, r.opening = n, len(procs), time.Since(began)
	if r.total, r.threads, r.fds, err = sum(procs); err != nil {
		return nil, err
	}
	if r.server, err = proc.ReadMem(t.server); err != nil {
		return nil, err
	}
	r.srvThreads, _ = proc.Threads(t.server)
	r.srvFDs, _ = proc.FDs(t.server)
	r.srvLimit, _ = proc.OpenFilesLimit(t.server)
	r.sysThreads = proc.SystemThreads()
	r.files, _, _ = proc.SystemFiles()

	// A normal client, while all of them are held: served within
	// ServedWithin, or the server is saturated.
	sent := time.Now()
	if _, err := smtpsend.One(t.addr, "normal@remote.test", t.rcpt, message(1024)); err != nil {
		r.normalErr = err
	} else {
		r.normal = time.Since(sent)
	}
	return r, nil
}

// openSession connects, reads the greeting and says EHLO, so the
// session's processes are past their start-up and their first command.
func openSession(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	err = smtpsend.Expect(r, '2', "connect")
	if err == nil {
		_, err = c.Write([]byte("EHLO held.bench.test\r\n"))
	}
	if err == nil {
		err = smtpsend.Expect(r, '2', "EHLO")
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// openSessions opens n sessions from a few goroutines at once.
func openSessions(addr string, n int, within time.Duration) ([]net.Conn, error) {
	var mu sync.Mutex
	var conns []net.Conn
	var first error
	next := 0
	deadline := time.Now().Add(within)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= n || first != nil {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				if time.Now().After(deadline) {
					mu.Lock()
					first = errors.New("time limit")
					mu.Unlock()
					return
				}
				c, err := openSession(addr)
				mu.Lock()
				if err != nil {
					if first == nil {
						first = err
					}
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return conns, first
}

// waitSessions waits until the target has at least n session processes.
func waitSessions(t *target, n int, within time.Duration) ([]proc.Stat, error) {
	deadline := time.Now().Add(within)
	for {
		procs, err := t.sessions()
		if err != nil {
			return nil, err
		}
		if len(procs) >= n {
			return procs, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d session processes after %v, want %d", len(procs), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sum adds up the memory, threads and descriptors of procs.
func sum(procs []proc.Stat) (proc.Mem, int, int, error) {
	var m proc.Mem
	threads, fds := 0, 0
	for _, p := range procs {
		pm, err := proc.ReadMem(p.PID)
		if err != nil {
			return m, 0, 0, err
		}
		th, err := proc.Threads(p.PID)
		if err != nil {
			return m, 0, 0, err
		}
		fd, _ := proc.FDs(p.PID)
		m = m.Add(pm)
		threads += th
		fds += fd
	}
	return m, threads, fds, nil
}
