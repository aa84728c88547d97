package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

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
	via       string        // quail's injector: qmail-queue or sendmail
	timeout   time.Duration // longest wait for the sink to count n
}

// pathResult is one system's run at one concurrency.
type pathResult struct {
	rate     float64       // n / (last message at the sink - first injection)
	injected time.Duration // first injection to the last injector's exit
	total    time.Duration
	received int // at the sink, when incomplete
	complete bool
	load     string
}

// system is an instance under test, started for one measurement.
type system struct {
	inject func(kids *children, msg []byte) error
	stop   func()
	log    func() string // the instance's log tail, for failures
}

// wholePath measures each concurrency with fresh instances: quail, then
// Postfix, each relaying n messages to its own smtp-sink.
func wholePath(c pathConfig, concs []int, dir string, cl *cleanups) error {
	peer := postfix.Available()
	fmt.Printf("whole path: %d messages of %d bytes injected by %d injectors (quail: %s; postfix: sendmail),\n"+
		"  relayed to smtp-sink on 127.0.0.1; rate = messages / (first injection to the sink's count reaching %d)\n",
		c.n, c.size, c.injectors, c.via, c.n)
	if peer != nil {
		fmt.Printf("postfix: not measured: %v\n", peer)
	}
	msg := message(c.size)
	seq := 0
	subdir := func(name string) (string, error) {
		seq++
		d := filepath.Join(dir, fmt.Sprintf("%s%d", name, seq))
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", err
		}
		return d, nil
	}
	for _, conc := range concs {
		d, err := subdir("quail")
		if err != nil {
			return err
		}
		q, err := measurePath(c, msg, cl, func(port string) (*system, error) {
			return startQuail(d, c.bin, c.via, conc, port)
		})
		if err != nil {
			return fmt.Errorf("quail at concurrency %d: %w", conc, err)
		}
		var p pathResult
		if peer == nil {
			d, err := subdir("postfix")
			if err != nil {
				return err
			}
			p, err = measurePath(c, msg, cl, func(port string) (*system, error) {
				return startPostfix(d, conc, port)
			})
			if err != nil {
				return fmt.Errorf("postfix at concurrency %d: %w", conc, err)
			}
		}
		fmt.Printf("concurrency %d (quail concurrencyremote, postfix smtp_destination_concurrency_limit)\n", conc)
		fmt.Printf("  quail: %s\n", q.detail(c.n))
		if peer == nil {
			fmt.Printf("  postfix: %s\n", p.detail(c.n))
			ratio := "n/a"
			if p.rate > 0 {
				ratio = fmt.Sprintf("%.2f", q.rate/p.rate)
			}
			verdict := "target met"
			if p.rate <= 0 || q.rate < p.rate {
				verdict = "target NOT met"
			}
			fmt.Printf("quail: %.0f msg/s  postfix: %.0f msg/s  ratio: %s  (target: at least Postfix's; %s)\n", q.rate, p.rate, ratio, verdict)
		} else {
			fmt.Printf("quail: %.0f msg/s  postfix: not measured\n", q.rate)
		}
	}
	return nil
}

// detail says how long injection took, how long the sink waited for the
// rest after it, and how busy the machine was.
func (r pathResult) detail(n int) string {
	s := fmt.Sprintf("injected in %v (%.0f msg/s), last message at the sink %v after the last injection; load average %s at the start",
		r.injected.Round(time.Millisecond), float64(n)/r.injected.Seconds(), (r.total - r.injected).Round(time.Millisecond), r.load)
	if !r.complete {
		s += fmt.Sprintf("; INCOMPLETE: the sink had %d of %d", r.received, n)
	}
	return s
}

// measurePath starts a sink on a free port and the system relaying to
// it, injects n messages and waits for the sink to count them all.
func measurePath(c pathConfig, msg []byte, cl *cleanups, start func(port string) (*system, error)) (pathResult, error) {
	port := freePort()
	sink, err := startSink(c.sink, c.user, "127.0.0.1:"+port, c.n)
	if err != nil {
		return pathResult{}, err
	}
	stopSink := cl.push(sink.stop)
	defer stopSink()
	// An interrupt while the system starts waits for the start to end
	// and then stops what it started: postfix start, once begun, brings
	// up master(8) even if the bench is gone.
	started := make(chan *system, 1)
	stopSys := cl.push(func() {
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
	defer cl.push(kids.kill)()

	r := pathResult{load: loadavg()}
	t0 := time.Now()
	if err := injectAll(sys, kids, msg, c.n, c.injectors); err != nil {
		return r, fmt.Errorf("%w%s", err, sys.log())
	}
	r.injected = time.Since(t0)
	at, ok := sink.wait(c.timeout - r.injected)
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
// sink as its relayhost, conc smtp(8) sessions at most.
func startPostfix(dir string, conc int, port string) (*system, error) {
	pf, err := postfix.Start(dir, postfix.Options{Main: map[string]string{
		"relayhost":                          "[127.0.0.1]:" + port,
		"smtp_destination_concurrency_limit": strconv.Itoa(conc),
	}})
	if err != nil {
		return nil, err
	}
	return &system{
		inject: func(kids *children, msg []byte) error {
			return sendmail(kids, exec.Command("/usr/sbin/sendmail", "-C", pf.ConfigDir, "-f", "bench@localhost", "sink@sink.test"), msg)
		},
		stop: pf.Stop,
		log:  pf.LogTail,
	}, nil
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
