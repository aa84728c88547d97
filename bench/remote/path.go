package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quail-mta/quail/bench/internal/benchdir"
	"github.com/quail-mta/quail/bench/internal/cleanup"
	"github.com/quail-mta/quail/bench/internal/postfix"
	"github.com/quail-mta/quail/bench/internal/quail"
)

// pathConfig shapes the whole-path measurement.
type pathConfig struct {
	bin       string // quail's programs
	sink      string // smtp-sink
	user      string // smtp-sink -u
	n         int    // messages per measurement
	size      int
	injectors int
	queued    bool          // also measure from a full queue
	runs      int           // of each measurement; the fastest counts
	vias      []string      // quail's injectors: qmail-queue, sendmail
	timeout   time.Duration // longest wait for the sink to count n
}

// pathResult is one system's run at one concurrency.
type pathResult struct {
	rate     float64       // n / (last message at the sink - first injection)
	injected time.Duration // first injection to the last injector's exit
	total    time.Duration
	received int // at the sink, when incomplete
	complete bool
	queued   bool // measured from a full queue's release
	sessions int  // SMTP sessions the sink saw
	load     string
}

// system is an instance under test, started for one measurement.
type system struct {
	inject func(kids *children, msg []byte) error
	stop   func()
	log    func() string // the instance's log tail, for failures
	// For a full queue: hold (if not nil) stops deliveries before the
	// injection, held waits until n messages are queued and held, and
	// release lets them go.
	hold    func() error
	held    func(n int, within time.Duration) error
	release func() error
}

// wholePath measures each concurrency with fresh instances, each
// relaying n messages to its own smtp-sink: quail once per injector in
// c.vias, Postfix once; then (with c.queued) both from a full queue.
func wholePath(c pathConfig, concs []int, dir string, cl *cleanup.Stack) error {
	peer := postfix.Available()
	fmt.Printf("whole path: %d messages of %d bytes injected by %d injectors (quail: %s; postfix: sendmail),\n"+
		"  relayed to smtp-sink on 127.0.0.1; rate = messages / (first injection to the sink's count reaching %d)\n",
		c.n, c.size, c.injectors, strings.Join(c.vias, " or "), c.n)
	if c.queued {
		fmt.Printf("  full queue: the same messages queued first with delivery held (quail: qmail-send stopped; postfix: header_checks HOLD),\n" +
			"  then released (quail: qmail-send started; postfix: postsuper -H ALL, postqueue -f); rate = messages / (release to the sink's last count)\n")
	}
	if peer != nil {
		fmt.Printf("postfix: not measured: %v\n", peer)
	}
	msg := message(c.size)
	seq := 0
	subdir := func(name string) (string, error) {
		seq++
		return benchdir.Instance(dir, fmt.Sprintf("%s%d", name, seq))
	}
	// measure runs quail injecting with via (unless it is empty) and,
	// with withPostfix, Postfix.
	measure := func(conc int, via string, queued, withPostfix bool) (q, p pathResult, err error) {
		if via != "" {
			d, err := subdir("quail")
			if err != nil {
				return q, p, err
			}
			q, err = measurePath(c, msg, cl, queued, func(port string) (*system, error) {
				return startQuail(d, c.bin, via, conc, port)
			})
			if err != nil {
				return q, p, fmt.Errorf("quail at concurrency %d: %w", conc, err)
			}
		}
		if withPostfix && peer == nil {
			d, err := subdir("postfix")
			if err != nil {
				return q, p, err
			}
			p, err = measurePath(c, msg, cl, queued, func(port string) (*system, error) {
				return startPostfix(d, conc, port, queued)
			})
			if err != nil {
				return q, p, fmt.Errorf("postfix at concurrency %d: %w", conc, err)
			}
		}
		return q, p, nil
	}
	// better keeps the faster of two results of the same system: the
	// best of -runs, which is what a busy shared machine allows.
	better := func(old *pathResult, r pathResult, first bool) {
		if first || r.rate > old.rate {
			*old = r
		}
	}
	for _, conc := range concs {
		fmt.Printf("concurrency %d (quail concurrencyremote, postfix smtp_destination_concurrency_limit)\n", conc)
		quails := make([]pathResult, len(c.vias))
		var p, fq, fp pathResult
		for run := 0; run < c.runs; run++ {
			if c.runs > 1 {
				fmt.Printf("  run %d of %d\n", run+1, c.runs)
			}
			for i, via := range c.vias {
				q, _, err := measure(conc, via, false, false)
				if err != nil {
					return err
				}
				fmt.Printf("  quail via %s: %s\n", via, q.detail(c.n))
				better(&quails[i], q, run == 0)
			}
			_, r, err := measure(conc, "", false, true)
			if err != nil {
				return err
			}
			if peer == nil {
				fmt.Printf("  postfix via sendmail: %s\n", r.detail(c.n))
			}
			better(&p, r, run == 0)
			if c.queued {
				q, r, err := measure(conc, c.vias[0], true, true)
				if err != nil {
					return err
				}
				fmt.Printf("  full queue: quail: %s\n", q.detail(c.n))
				if peer == nil {
					fmt.Printf("  full queue: postfix: %s\n", r.detail(c.n))
				}
				better(&fq, q, run == 0)
				better(&fp, r, run == 0)
			}
		}
		if c.runs > 1 {
			fmt.Printf("  best of %d runs each:\n", c.runs)
		}
		for i, q := range quails {
			compare("", q, p, peer == nil, "quail via "+c.vias[i])
		}
		if c.queued {
			compare("  full queue: ", fq, fp, peer == nil, "")
		}
	}
	return nil
}

// compare prints the figure line: both rates, their ratio and the target.
func compare(prefix string, q, p pathResult, havePostfix bool, note string) {
	if note != "" {
		note = note + "; "
	}
	if !havePostfix {
		fmt.Printf("%squail: %.0f msg/s  postfix: not measured  (%s)\n", prefix, q.rate, strings.TrimSuffix(note, "; "))
		return
	}
	ratio := "n/a"
	if p.rate > 0 {
		ratio = fmt.Sprintf("%.2f", q.rate/p.rate)
	}
	verdict := "target met"
	if p.rate <= 0 || q.rate < p.rate || !q.complete {
		verdict = "target NOT met"
	}
	fmt.Printf("%squail: %.0f msg/s  postfix: %.0f msg/s  ratio: %s  (%starget: at least Postfix's; %s)\n", prefix, q.rate, p.rate, ratio, note, verdict)
}

// detail says how long injection took, how long the sink waited for the
// rest after it, and how busy the machine was.
func (r pathResult) detail(n int) string {
	var s string
	if r.queued {
		s = fmt.Sprintf("queued in %v (not counted), delivered in %v after the release; load average %s at the release",
			r.injected.Round(time.Millisecond), r.total.Round(time.Millisecond), r.load)
	} else {
		s = fmt.Sprintf("injected in %v (%.0f msg/s), last message at the sink %v after the last injection; load average %s at the start",
			r.injected.Round(time.Millisecond), float64(n)/r.injected.Seconds(), (r.total - r.injected).Round(time.Millisecond), r.load)
	}
	s += fmt.Sprintf("; %d SMTP sessions", r.sessions)
	if !r.complete {
		s += fmt.Sprintf("; INCOMPLETE: the sink had %d of %d", r.received, n)
	}
	return s
}

// measurePath starts a sink on a free port and the system relaying to
// it, injects n messages and waits for the sink to count them all. With
// queued, the system holds its deliveries while the messages are
// injected and the clock starts when it lets them go.
func measurePath(c pathConfig, msg []byte, cl *cleanup.Stack, queued bool, start func(port string) (*system, error)) (pathResult, error) {
	port := freePort()
	sink, err := startSink(c.sink, c.user, "127.0.0.1:"+port, c.n)
	if err != nil {
		return pathResult{}, err
	}
	stopSink := cl.Push(sink.stop)
	defer stopSink()
	// An interrupt while the system starts waits for the start to end
	// and then stops what it started: postfix start, once begun, brings
	// up master(8) even if the bench is gone.
	started := make(chan *system, 1)
	stopSys := cl.Push(func() {
		if sys := <-started; sys != nil {
			sys.stop()
		}
	})
	defer stopSys()
	sys, err := start(port)
	started <- sys
	if err != nil {
		return pathResult{}, err
	}
	kids := &children{}
	defer cl.Push(kids.kill)()

	r := pathResult{queued: queued}
	if queued && sys.hold != nil {
		if err := sys.hold(); err != nil {
			return r, err
		}
	}
	if !queued {
		r.load = loadavg()
	}
	t0 := time.Now()
	if err := injectAll(sys, kids, msg, c.n, c.injectors); err != nil {
		return r, fmt.Errorf("%w%s", err, sys.log())
	}
	r.injected = time.Since(t0)
	if queued {
		if err := sys.held(c.n, c.timeout); err != nil {
			return r, fmt.Errorf("%w%s", err, sys.log())
		}
		r.load = loadavg()
		t0 = time.Now()
		if err := sys.release(); err != nil {
			return r, fmt.Errorf("%w%s", err, sys.log())
		}
	}
	at, ok := sink.wait(c.timeout - time.Since(t0))
	r.received = sink.received()
	r.complete = ok
	if !ok {
		at = time.Now()
		fmt.Fprintf(os.Stderr, "remote-bench: the sink counted %d of %d messages within %v%s\n", r.received, c.n, c.timeout, sys.log())
	}
	r.total = at.Sub(t0)
	r.rate = float64(r.received) / r.total.Seconds()
	if ok {
		r.rate = float64(c.n) / r.total.Seconds()
	}
	// Sessions end at the sink once the system is stopped (Postfix keeps
	// idle connections in its cache meanwhile); a count that has not
	// moved for a fifth of a second is taken as final.
	stopSys()
	last, since := sink.sessions(), time.Now()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end) && time.Since(since) < 200*time.Millisecond; {
		time.Sleep(20 * time.Millisecond)
		if k := sink.sessions(); k != last {
			last, since = k, time.Now()
		}
	}
	r.sessions = last - 1 // the first was startSink's readiness probe
	return r, nil
}

// injectAll runs n injections, k at a time.
func injectAll(sys *system, kids *children, msg []byte, n, k int) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := 0
	for w := 0; w < k; w++ {
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
				if err := sys.inject(kids, msg); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// startQuail is a single-user instance whose qmail-send runs conc
// qmail-remote processes at a time, every remote address routed to the
// sink by smtproutes.
func startQuail(dir, bin, via string, conc int, port string) (*system, error) {
	if via != "qmail-queue" && via != "sendmail" {
		return nil, fmt.Errorf("-via %s: qmail-queue or sendmail", via)
	}
	in, err := quail.StartWithControl(dir, bin, map[string]string{
		"concurrencyremote": strconv.Itoa(conc),
		"smtproutes":        ":127.0.0.1:" + port,
	})
	if err != nil {
		return nil, err
	}
	sys := &system{
		inject: func(kids *children, msg []byte) error {
			return qmailQueue(kids, filepath.Join(in.Bin, "qmail-queue"), in.Env, msg)
		},
		stop: in.Stop,
		log:  func() string { return tail("qmail-send's log", in.Log) },
		// qmail-queue needs no qmail-send: messages wait in todo/.
		hold:    func() error { in.Stop(); return nil },
		held:    func(int, time.Duration) error { return nil },
		release: in.Restart,
	}
	if via == "sendmail" {
		// The instance links only the daemons; sendmail runs
		// QMAILHOME/bin/qmail-inject, which runs qmail-queue.
		for _, p := range []string{"sendmail", "qmail-inject"} {
			abs, err := filepath.Abs(filepath.Join(bin, p))
			if err == nil {
				err = os.Symlink(abs, filepath.Join(in.Bin, p))
			}
			if err != nil {
				in.Stop()
				return nil, err
			}
		}
		sys.inject = func(kids *children, msg []byte) error {
			cmd := exec.Command(filepath.Join(in.Bin, "sendmail"), "-f", "bench@localhost", "sink@sink.test")
			cmd.Env = in.Env
			return sendmail(kids, cmd, msg)
		}
	}
	return sys, nil
}

// qmailQueue hands one message to qmail-queue, the envelope on
// descriptor 1, as qmail-inject does.
func qmailQueue(kids *children, prog string, env []string, msg []byte) error {
	er, ew, err := os.Pipe()
	if err != nil {
		return err
	}
	// The envelope fits the pipe's buffer: written before qmail-queue
	// runs, it waits there for qmail-queue to read it.
	_, err = ew.Write([]byte("Fbench@localhost\x00Tsink@sink.test\x00\x00"))
	ew.Close()
	if err != nil {
		er.Close()
		return err
	}
	cmd := exec.Command(prog)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Stdout = er
	err = kids.run(cmd)
	er.Close()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("qmail-queue exited %d", ee.ExitCode())
		}
		return err
	}
	return nil
}

// startPostfix is a private Postfix sending everything not local to the
// sink as its relayhost, conc smtp(8) sessions at most. With queued,
// cleanup(8) puts every message on hold (header_checks), where it waits,
// fully queued, for postsuper -H.
func startPostfix(dir string, conc int, port string, queued bool) (*system, error) {
	main := map[string]string{
		"relayhost":                          "[127.0.0.1]:" + port,
		"smtp_destination_concurrency_limit": strconv.Itoa(conc),
	}
	if queued {
		checks := filepath.Join(dir, "hold.regexp")
		if err := os.WriteFile(checks, []byte("/^Subject: bench$/ HOLD\n"), 0o644); err != nil {
			return nil, err
		}
		main["header_checks"] = "regexp:" + checks
	}
	pf, err := postfix.Start(dir, postfix.Options{Main: main})
	if err != nil {
		return nil, err
	}
	admin := func(prog string, args ...string) error {
		cmd := exec.Command(prog, append([]string{"-c", pf.ConfigDir}, args...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %v: %v %s", prog, args, err, out)
		}
		return nil
	}
	return &system{
		inject: func(kids *children, msg []byte) error {
			return sendmail(kids, exec.Command("/usr/sbin/sendmail", "-C", pf.ConfigDir, "-f", "bench@localhost", "sink@sink.test"), msg)
		},
		stop: pf.Stop,
		log:  pf.LogTail,
		held: func(n int, within time.Duration) error {
			deadline := time.Now().Add(within)
			for {
				k := files(filepath.Join(pf.QueueDir, "hold"))
				if k >= n {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("postfix: %d of %d messages on hold after %v", k, n, within)
				}
				time.Sleep(20 * time.Millisecond)
			}
		},
		release: func() error {
			if err := admin("/usr/sbin/postsuper", "-H", "ALL"); err != nil {
				return err
			}
			return admin("/usr/sbin/postqueue", "-f")
		},
	}, nil
}

// files counts the regular files below dir.
func files(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// sendmail feeds msg to a sendmail command.
func sendmail(kids *children, cmd *exec.Cmd, msg []byte) error {
	var out bytes.Buffer
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := kids.run(cmd); err != nil {
		return fmt.Errorf("%s: %v %s", cmd.Path, err, out.Bytes())
	}
	return nil
}

func tail(what, path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\n" + what + ":\n" + string(b)
}
