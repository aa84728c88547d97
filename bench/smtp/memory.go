package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quail-mta/quail/bench/internal/proc"
	"github.com/quail-mta/quail/bench/internal/smtpsend"
	"golang.org/x/sys/unix"
)

// memResult is one system's memory figures.
type memResult struct {
	chain      string   // the processes of one session
	one        proc.Mem // one idle session, summed over its processes
	oneThreads int
	n          int      // sessions held open for the second figure
	procs      int      // processes serving them
	total      proc.Mem // summed over those processes
	threads    int
	server     proc.Mem      // tcpserver or master(8), shared by every session
	opening    time.Duration // to open the n sessions
}

func (b *bench) memory() error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	n := b.c.sessions
	fmt.Printf("memory: idle sessions (greeting read, nothing sent); open files %d (soft) %d (hard); pid_max %d, threads in use %d\n",
		rl.Cur, rl.Max, proc.PIDMax(), proc.SystemThreads())
	if limit := int(rl.Cur) - 100; n > limit {
		fmt.Printf("memory: %d sessions, not %d: this process may open only %d files\n", limit, n, rl.Cur)
		n = limit
	}
	b.reuse = b.c.reuse[0] // the first configuration: memory is per process either way
	q, err := b.memoryOf(b.startQuail, n)
	if err != nil {
		return fmt.Errorf("quail: %w", err)
	}
	var p *memResult
	if b.postfixOK {
		if p, err = b.memoryOf(b.startPostfix, n); err != nil {
			fmt.Printf("postfix: not measured: %v\n", err)
			p = nil
		}
	}
	fmt.Printf("one idle session: quail's chain %s", q.chain)
	if p != nil {
		fmt.Printf(", postfix's %s", p.chain)
	}
	fmt.Println("; target: quail under 2 MiB private per session")
	one := func(f func(proc.Mem) int) (float64, func(*memResult) float64) {
		return float64(f(q.one)), func(r *memResult) float64 { return float64(f(r.one)) }
	}
	v, pick := one(func(m proc.Mem) int { return m.Private })
	pair("private (with the program text no other process maps yet)", v, p, pick, "")
	v, pick = one(func(m proc.Mem) int { return m.Anonymous })
	pair("anonymous (what a further session adds)", v, p, pick, verdict(v < 2048))
	v, pick = one(func(m proc.Mem) int { return m.Pss })
	pair("pss", v, p, pick, "")
	threads("threads", float64(q.oneThreads), p, func(r *memResult) float64 { return float64(r.oneThreads) })

	fmt.Printf("%d idle sessions held open, per session (quail: %d processes, opened in %v", q.n, q.procs, q.opening.Round(time.Millisecond))
	if p != nil {
		fmt.Printf("; postfix: %d sessions, %d processes, opened in %v", p.n, p.procs, p.opening.Round(time.Millisecond))
	}
	fmt.Println(")")
	per := func(f func(proc.Mem) int) (float64, func(*memResult) float64) {
		g := func(r *memResult) float64 { return float64(f(r.total)) / float64(r.n) }
		return g(q), g
	}
	v, pick = per(func(m proc.Mem) int { return m.Private })
	pair("private", v, p, pick, verdict(v < 2048))
	v, pick = per(func(m proc.Mem) int { return m.Anonymous })
	pair("anonymous", v, p, pick, "")
	v, pick = per(func(m proc.Mem) int { return m.Pss })
	pair("pss", v, p, pick, "")
	threads("threads", float64(q.threads)/float64(q.n), p, func(r *memResult) float64 { return float64(r.threads) / float64(r.n) })
	fmt.Printf("server process shared by all sessions: quail (tcpserver): private %s pss %s", kib(float64(q.server.Private)), kib(float64(q.server.Pss)))
	if p != nil {
		fmt.Printf("  postfix (master): private %s pss %s", kib(float64(p.server.Private)), kib(float64(p.server.Pss)))
	}
	fmt.Println()
	return nil
}

// pair prints one figure of both systems, with the target's verdict when
// there is one.
func pair(what string, q float64, p *memResult, pick func(*memResult) float64, verdict string) {
	line := fmt.Sprintf("  %s: quail: %s", what, kib(q))
	if p != nil {
		line += fmt.Sprintf("  postfix: %s  ratio: %.2f", kib(pick(p)), q/pick(p))
	}
	if verdict != "" {
		line += "  " + verdict
	}
	fmt.Println(line)
}

func threads(what string, q float64, p *memResult, pick func(*memResult) float64) {
	line := fmt.Sprintf("  %s: quail: %.1f", what, q)
	if p != nil {
		line += fmt.Sprintf("  postfix: %.1f", pick(p))
	}
	fmt.Println(line)
}

// memoryOf starts a system allowing n sessions, measures one idle
// session, then n.
func (b *bench) memoryOf(start func(int) (*target, error), n int) (*memResult, error) {
	t, err := start(n + 100)
	if err != nil {
		return nil, err
	}
	defer t.stop()
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
	r := &memResult{}
	var names []string
	for _, p := range procs {
		names = append(names, p.Comm)
	}
	sort.Strings(names)
	r.chain = strings.Join(names, "+")
	if r.one, r.oneThreads, err = sum(procs); err != nil {
		return nil, err
	}
	// Each session's threads count against the kernel's pid limit.
	if free := proc.PIDMax() - proc.SystemThreads() - 2000; r.oneThreads > 0 && (n-1)*r.oneThreads > free {
		m := free/r.oneThreads + 1
		fmt.Printf("%s: %d sessions, not %d: %d threads each and %d pids left below pid_max (keeping 2000 spare)\n", t.name, m, n, r.oneThreads, free)
		n = m
	}
	began := time.Now()
	more, err := openSessions(t.addr, n-1, b.c.phaseTime)
	conns = append(conns, more...)
	if err != nil {
		return nil, fmt.Errorf("%d of %d sessions open: %v%s", len(conns), n, err, t.logs())
	}
	procs, err = waitSessions(t, n, time.Minute)
	if err != nil {
		return nil, err
	}
	r.n, r.procs, r.opening = n, len(procs), time.Since(began)
	if r.total, r.threads, err = sum(procs); err != nil {
		return nil, err
	}
	if r.server, err = proc.ReadMem(t.server); err != nil {
		return nil, err
	}
	return r, nil
}

// openSession connects and reads the greeting, so the session's
// processes are past their start-up.
func openSession(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := smtpsend.Expect(bufio.NewReader(c), '2', "connect"); err != nil {
		c.Close()
		return nil, err
	}
	c.SetReadDeadline(time.Time{})
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

// sum adds up the memory and threads of procs.
func sum(procs []proc.Stat) (proc.Mem, int, error) {
	var m proc.Mem
	threads := 0
	for _, p := range procs {
		pm, err := proc.ReadMem(p.PID)
		if err != nil {
			return m, 0, err
		}
		th, err := proc.Threads(p.PID)
		if err != nil {
			return m, 0, err
		}
		m = m.Add(pm)
		threads += th
	}
	return m, threads, nil
}
