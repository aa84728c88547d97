package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/cleanup"
)

// directConfig shapes the qmail-remote-alone measurement.
type directConfig struct {
	ours, sink, source, user string
	n, size                  int
}

// direct runs qmail-remote by itself and smtp-source against one
// smtp-sink at each concurrency.
func direct(c directConfig, concs []int, dir string, cl *cleanup.Stack) error {
	if _, err := os.Stat(c.ours); err != nil {
		return fmt.Errorf("no %s: run make build first", c.ours)
	}
	port := freePort()
	sink, err := startSink(c.sink, c.user, "127.0.0.1:"+port, -1)
	if err != nil {
		return err
	}
	defer cl.Push(sink.stop)()

	home := filepath.Join(dir, "direct")
	for _, d := range []string{filepath.Join(home, "control"), filepath.Join(home, "queue", "lock")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, body := range map[string]string{"me": "bench.test", "smtproutes": ":127.0.0.1:" + port} {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(body+"\n"), 0o644); err != nil {
			return err
		}
	}
	msgFile := filepath.Join(home, "message")
	if err := os.WriteFile(msgFile, message(c.size), 0o644); err != nil {
		return err
	}

	fmt.Printf("qmail-remote to smtp-sink, %d messages of %d bytes, one process per message\n", c.n, c.size)
	for _, conc := range concs {
		q, rss, err := runOurs(c.ours, home, msgFile, c.n, conc)
		if err != nil {
			return err
		}
		p := runSource(c.source, port, c.n, c.size, conc)
		ratio := "n/a"
		if p > 0 {
			ratio = fmt.Sprintf("%.2f", q/p)
		}
		fmt.Printf("concurrency %2d: quail %7.1f msg/s   smtp-source %7.1f msg/s   ratio %s   (qmail-remote peak RSS %d KiB)\n", conc, q, p, ratio, rss)
	}
	return nil
}

// runOurs delivers n messages with c qmail-remote processes at a time and
// returns messages per second and the largest peak resident size of one
// process.
func runOurs(prog, home, msgFile string, n, c int) (float64, int64, error) {
	var wg sync.WaitGroup
	jobs := make(chan int)
	var mu sync.Mutex
	failed := 0
	var maxRSS int64
	var openErr error
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				f, err := os.Open(msgFile)
				if err != nil {
					mu.Lock()
					openErr = err
					failed++
					mu.Unlock()
					continue
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
	if openErr != nil {
		return 0, 0, openErr
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "remote-bench: %d of %d deliveries did not succeed\n", failed, n)
	}
	return float64(n-failed) / el.Seconds(), maxRSS, nil
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

// usage is the resource usage of a child that ran.
func usage(cmd *exec.Cmd) (*syscall.Rusage, bool) {
	if cmd.ProcessState == nil {
		return nil, false
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return ru, ok
}
