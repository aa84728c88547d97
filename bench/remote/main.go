// Command remote-bench measures quail's remote delivery against Postfix's
// smtp-sink on loopback, in two parts, both in the same run.
//
// Direct: qmail-remote's throughput by itself, messages per second with 1
// and with 20 qmail-remote processes at a time (one process per message,
// as qmail-rspawn runs them), beside Postfix's smtp-source sending the
// same number of messages of the same size over the same number of
// parallel sessions, one message per connection. smtp-source is a load
// generator, not Postfix's delivery agent smtp(8); it stands for "a C
// SMTP client on the same sink".
//
// Whole path: messages injected into a single-user quail instance (with
// qmail-queue, then again with quail's sendmail; qmail-send with
// concurrencyremote 20, then 100; every remote address routed by
// control/smtproutes to the sink) beside a private Postfix relaying the
// same number of the same messages (Postfix's sendmail; relayhost the
// sink; smtp_destination_concurrency_limit 20, then 100), each to its own
// smtp-sink. The rate is the messages divided by the time from the first
// injection until smtp-sink's own counter (-c) reached them all. Target:
// at least Postfix's. Then the same from a full queue: the messages are
// queued with delivery held, and the clock runs from their release to the
// sink's last count, which measures delivery alone.
//
// Run from the top of the tree after `make build` (as root for the
// Postfix half of the whole path):
//
//	go run ./bench/remote [-only direct,path] [-ours bin/qmail-remote] [-n 400]
//	    [-size 4096] [-conc 1,20] [-bin bin] [-path-n 1000]
//	    [-path-conc 20,100] [-injectors 4] [-via qmail-queue,sendmail] [-queued=true] [-runs 1]
//	    [-timeout 4m]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/benchdir"
	"github.com/quail-mta/quail/bench/internal/cleanup"
	"github.com/quail-mta/quail/bench/internal/netwait"
)

func main() {
	only := flag.String("only", "direct,path", "parts to measure: direct (qmail-remote alone), path (injection to the sink)")
	ours := flag.String("ours", "bin/qmail-remote", "our qmail-remote, for the direct part")
	n := flag.Int("n", 400, "messages per direct measurement")
	size := flag.Int("size", 4096, "message size in bytes")
	concs := flag.String("conc", "1,20", "concurrency levels of the direct part")
	bin := flag.String("bin", "bin", "directory of quail's programs, for the whole path")
	pathN := flag.Int("path-n", 1000, "messages per whole-path measurement")
	pathConcs := flag.String("path-conc", "20,100", "remote concurrencies of the whole path")
	via := flag.String("via", "qmail-queue,sendmail", "quail's injectors on the whole path, each measured: qmail-queue, sendmail")
	queued := flag.Bool("queued", true, "also measure the whole path from a full queue, delivery held during injection")
	runs := flag.Int("runs", 1, "runs of each whole-path measurement; the fastest of each system counts")
	injectors := flag.Int("injectors", 4, "concurrent injecting processes on the whole path")
	timeout := flag.Duration("timeout", 4*time.Minute, "longest wait for one system to relay path-n messages")
	flag.Parse()

	cl := &cleanup.Stack{}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "remote-bench: %v: stopping the instances\n", s)
		cl.Run()
		os.Exit(111)
	}()
	// A panic still stops the instances and the sinks first.
	defer func() {
		if p := recover(); p != nil {
			cl.Run()
			panic(p)
		}
	}()
	err := run(cl, *only, directConfig{ours: *ours, n: *n, size: *size}, *concs,
		pathConfig{bin: *bin, n: *pathN, size: *size, injectors: *injectors, queued: *queued, runs: max(*runs, 1), vias: strings.Split(*via, ","), timeout: *timeout}, *pathConcs)
	cl.Run()
	signal.Stop(sig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "remote-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

func run(cl *cleanup.Stack, only string, dc directConfig, dconcs string, pc pathConfig, pconcs string) error {
	want := map[string]bool{}
	for _, p := range strings.Split(only, ",") {
		want[strings.TrimSpace(p)] = true
	}
	sink, err := exec.LookPath("smtp-sink")
	if err != nil {
		sink = "/usr/sbin/smtp-sink"
	}
	source, err := exec.LookPath("smtp-source")
	if err != nil {
		source = "/usr/sbin/smtp-source"
	}
	u, err := user.Current()
	if err != nil {
		return err
	}
	for _, v := range pc.vias {
		if v != "qmail-queue" && v != "sendmail" {
			return fmt.Errorf("-via %q: qmail-queue or sendmail", v)
		}
	}
	dc.sink, dc.source, dc.user = sink, source, u.Username
	pc.sink, pc.user = sink, u.Username
	dir, err := benchdir.Top("remote-bench-")
	if err != nil {
		return err
	}
	cl.Add(func() { os.RemoveAll(dir) })
	if want["direct"] {
		c, err := levels(dconcs)
		if err != nil {
			return err
		}
		if err := direct(dc, c, dir, cl); err != nil {
			return err
		}
	}
	if want["path"] {
		c, err := levels(pconcs)
		if err != nil {
			return err
		}
		if err := wholePath(pc, c, dir, cl); err != nil {
			return err
		}
	}
	return nil
}

func levels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return nil, fmt.Errorf("bad concurrency %q", f)
		}
		out = append(out, c)
	}
	return out, nil
}

func message(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: bench@bench.test\nTo: sink@sink.test\nSubject: bench\n\n")
	for b.Len() < size {
		b.WriteString(strings.Repeat("x", 75) + "\n")
	}
	return b.Bytes()
}

// freePort is a free loopback port as text, "0" (any) if none is found.
func freePort() string {
	p, err := netwait.FreePort()
	if err != nil {
		return "0"
	}
	return strconv.Itoa(p)
}

// loadavg is the machine's 1, 5 and 15 minute load averages: the figures
// of a shared machine are only comparable within one run.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
