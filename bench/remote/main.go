// Command remote-bench measures qmail-remote's throughput to Postfix's
// smtp-sink on loopback: messages per second with 1 and with 20
// qmail-remote processes at a time (one process per message, as
// qmail-rspawn runs them), beside Postfix's smtp-source sending the same
// number of messages of the same size over the same number of parallel
// sessions, one message per connection, in the same run. Run from the top
// of the tree after `make build`:
//
//	go run ./bench/remote [-ours bin/qmail-remote] [-n 400] [-size 4096] [-conc 1,20]
//
// smtp-source is a load generator, not Postfix's delivery agent smtp(8),
// which cannot run outside a Postfix instance; it stands for "a C SMTP
// client on the same sink", and its ratio to ours is the figure.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ours := flag.String("ours", "bin/qmail-remote", "our qmail-remote")
	n := flag.Int("n", 400, "messages per measurement")
	size := flag.Int("size", 4096, "message size in bytes")
	concs := flag.String("conc", "1,20", "concurrency levels")
	flag.Parse()
	sink, err := exec.LookPath("smtp-sink")
	if err != nil {
		sink = "/usr/sbin/smtp-sink"
	}
	source, err := exec.LookPath("smtp-source")
	if err != nil {
		source = "/usr/sbin/smtp-source"
	}
	if _, err := os.Stat(*ours); err != nil {
		fatal("no %s: run make build first", *ours)
	}
	port := freePort()
	u, _ := user.Current()
	cmd := exec.Command(sink, "-u", u.Username, "127.0.0.1:"+port, "256")
	if err := cmd.Start(); err != nil {
		fatal("unable to start smtp-sink: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitListening("127.0.0.1:" + port)

	home, err := os.MkdirTemp("", "remote-bench")
	if err != nil {
		fatal("%v", err)
	}
	defer os.RemoveAll(home)
	os.MkdirAll(filepath.Join(home, "control"), 0o755)
	os.MkdirAll(filepath.Join(home, "queue", "lock"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("bench.test\n"), 0o644)
	os.WriteFile(filepath.Join(home, "control", "smtproutes"), []byte(":127.0.0.1:"+port+"\n"), 0o644)
	msgFile := filepath.Join(home, "message")
	os.WriteFile(msgFile, message(*size), 0o644)

	fmt.Printf("qmail-remote to smtp-sink, %d messages of %d bytes, one process per message\n", *n, *size)
	for _, f := range strings.Split(*concs, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			fatal("bad -conc %q", f)
		}
		q, rss := runOurs(*ours, home, msgFile, *n, c)
		p := runSource(source, port, *n, *size, c)
		ratio := "n/a"
		if p > 0 {
			ratio = fmt.Sprintf("%.2f", q/p)
		}
		fmt.Printf("concurrency %2d: quail %7.1f msg/s   smtp-source %7.1f msg/s   ratio %s   (qmail-remote peak RSS %d KiB)\n", c, q, p, ratio, rss)
	}
}

func message(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: bench@bench.test\nTo: sink@sink.test\nSubject: bench\n\n")
	for b.Len() < size {
		b.WriteString(strings.Repeat("x", 75) + "\n")
	}
	return b.Bytes()
}

// runOurs delivers n messages with c qmail-remote processes at a time and
// returns messages per second and the largest peak resident size of one
// process.
func runOurs(prog, home, msgFile string, n, c int) (float64, int64) {
	var wg sync.WaitGroup
	jobs := make(chan int)
	var mu sync.Mutex
	failed := 0
	var maxRSS int64
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				f, err := os.Open(msgFile)
				if err != nil {
					fatal("%v", err)
				}
				cmd := exec.Command(prog, "sink.test", "bench@bench.test", "sink@sink.test")
				cmd.Env = []string{"QMAILHOME=" + home, "DNSCACHEIP=127.0.0.1:1"}
				cmd.Stdin = f
				out, err := cmd.Output()
				f.Close()
				if ru, ok := usage(cmd); ok {
					mu.Lock()
					maxRSS = max(maxRSS, ru.Maxrss)
					mu.Unlock()
				}
				if err != nil || !bytes.Contains(out, []byte("\x00K")) {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	el := time.Since(start)
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "remote-bench: %d of %d deliveries did not succeed\n", failed, n)
	}
	return float64(n-failed) / el.Seconds(), maxRSS
}

// runSource has smtp-source send n messages over c parallel sessions.
func runSource(prog, port string, n, size, c int) float64 {
	start := time.Now()
	cmd := exec.Command(prog, "-s", strconv.Itoa(c), "-m", strconv.Itoa(n), "-l", strconv.Itoa(size),
		"-f", "bench@bench.test", "-t", "sink@sink.test", "127.0.0.1:"+port)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "remote-bench: smtp-source: %v %s\n", err, out)
		return 0
	}
	return float64(n) / time.Since(start).Seconds()
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal("%v", err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

func waitListening(addr string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	fatal("smtp-sink does not listen on %s", addr)
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "remote-bench: fatal: "+format+"\n", a...)
	os.Exit(111)
}

// usage is the resource usage of a child that ran.
func usage(cmd *exec.Cmd) (*syscall.Rusage, bool) {
	if cmd.ProcessState == nil {
		return nil, false
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return ru, ok
}
