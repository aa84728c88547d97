// Command smtp-bench compares quail's SMTP service with Postfix's on this
// machine, in the same run:
//
//   - acceptance rate: Postfix's smtp-source sends -n messages of -size
//     bytes over -s parallel sessions, one message per connection, to
//     tcpserver + qmail-smtpd writing into a single-user instance's real
//     queue (qmail-send delivering meanwhile), and to a private Postfix's
//     smtpd(8) (cleanup, qmgr and virtual delivering meanwhile);
//   - end-to-end rate: from smtp-source's start until the last message is
//     in the Maildir's new/ (watched with inotify);
//   - latency: from the 250 reply to the end of DATA until the file
//     appears in new/, one message at a time, median and 99th percentile;
//   - memory: Pss and private memory (smaps_rollup) of the processes of
//     one held SMTP session (connected, EHLO answered, then silent; for
//     quail everything below tcpserver: qmail-smtpd, and rblsmtpd with
//     -rblsmtpd; for Postfix the smtpd process), then the same per
//     session with -sessions held open at once (-sessions 5000 is the
//     single-server figure of issue 16), with the threads and
//     descriptors per session and of the server process (tcpserver,
//     master), the machine's threads and file handles against pid_max
//     and file-max, and the time a normal client's message takes while
//     they are held (target: under ServedWithin). quail is measured for
//     each -reuse value here too. The open-file limit is raised for the
//     benchmark and what it starts; tcpserver -c and Postfix's smtpd
//     process limit are the sessions plus 100.
//
// quail is measured once for each -reuse value: with TCPSERVERREUSE=100
// (tcpserver hands connections to qmail-smtpd processes that serve up
// to 100 in turn, as Postfix's smtpd does by default) and with 0 (the
// classic process per connection). Every instance lives in its own
// block groups (spread.Subdirs on the bench directory).
//
// Rates print as "quail: X msg/s  postfix: Y msg/s  ratio: Z" (ratio =
// quail/Postfix, above 1 favours quail); latencies and memory print the
// same way (below 1 favours quail), each beside its target. The Postfix
// half needs root and Debian's postfix package; without them it is
// skipped with the reason. Run from the top of the tree after make build:
//
//	go run ./bench/smtp [-bin bin] [-n 10000] [-s 20] [-size 5120]
//	    [-latency 200] [-sessions 2000] [-only rate,latency,memory] [-rblsmtpd]
//	    [-reuse 100,0]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/benchdir"
	"github.com/quail-mta/quail/bench/internal/cleanup"
	"github.com/quail-mta/quail/bench/internal/postfix"
)

type config struct {
	bin       string
	source    string
	n, s      int
	size      int
	samples   int
	sessions  int
	rblsmtpd  bool
	reuse     []int
	phaseTime time.Duration
	rounds    int
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin", "directory holding quail's programs")
	flag.IntVar(&c.n, "n", 10000, "messages for the rate figures")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds of the rate figures, the systems taking turns; the figures are the medians")
	flag.IntVar(&c.s, "s", 20, "parallel smtp-source sessions")
	flag.IntVar(&c.size, "size", 5120, "message size in bytes (smtp-source -l)")
	flag.IntVar(&c.samples, "latency", 200, "messages for the latency figures")
	flag.IntVar(&c.sessions, "sessions", 2000, "sessions held open at once for the memory figures (5000: the single-server figure)")
	reuse := flag.String("reuse", "100,0", "TCPSERVERREUSE values for quail's tcpserver, each measured (0: a qmail-smtpd per connection)")
	flag.BoolVar(&c.rblsmtpd, "rblsmtpd", false, "put rblsmtpd (with RBLSMTPD empty: accept) before qmail-smtpd")
	flag.DurationVar(&c.phaseTime, "phase-timeout", 4*time.Minute, "longest wait for one system's part of a figure")
	only := flag.String("only", "rate,latency,memory", "figures to measure")
	flag.Parse()
	for _, v := range strings.Split(*reuse, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "smtp-bench: -reuse %q: numbers of connections per process\n", *reuse)
			os.Exit(2)
		}
		c.reuse = append(c.reuse, n)
	}

	cl := &cleanup.Stack{}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "smtp-bench: %v: stopping the instances\n", s)
		cl.Run()
		os.Exit(111)
	}()
	err := run(c, *only, cl)
	cl.Run()
	signal.Stop(sig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "smtp-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

func run(c config, only string, cl *cleanup.Stack) error {
	var err error
	if c.source, err = exec.LookPath("smtp-source"); err != nil {
		c.source = "/usr/sbin/smtp-source"
	}
	if _, err := os.Stat(c.source); err != nil {
		return fmt.Errorf("smtp-source (Debian's postfix package) is needed to drive both systems: %w", err)
	}
	dir, err := benchdir.Top("smtp-bench-")
	if err != nil {
		return err
	}
	cl.Add(func() { os.RemoveAll(dir) })
	peer := postfix.Available()
	if peer != nil {
		fmt.Printf("postfix: not measured: %v\n", peer)
	}
	b := &bench{c: c, dir: dir, cl: cl, postfixOK: peer == nil}
	want := map[string]bool{}
	for _, p := range strings.Split(only, ",") {
		want[strings.TrimSpace(p)] = true
	}
	if want["rate"] || want["latency"] {
		if err := b.throughput(want["rate"], want["latency"]); err != nil {
			return err
		}
	}
	if want["memory"] {
		if err := b.memory(); err != nil {
			return err
		}
	}
	return nil
}

// bench carries what every measurement needs.
type bench struct {
	c         config
	dir       string
	cl        *cleanup.Stack
	postfixOK bool
	seq       int
	reuse     int // TCPSERVERREUSE of the quail instance being measured
}

// subdir makes a fresh directory for one instance.
func (b *bench) subdir(name string) (string, error) {
	b.seq++
	return benchdir.Instance(b.dir, fmt.Sprintf("%s%d", name, b.seq))
}

// loadavg is the machine's 1, 5 and 15 minute load averages, printed
// beside each measurement: the figures of a shared machine are only
// comparable within one run.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func kib(k float64) string {
	if k >= 1024 {
		return fmt.Sprintf("%.2f MiB", k/1024)
	}
	return fmt.Sprintf("%.0f KiB", k)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
