// Command tcpserver-bench measures quail's tcpserver beside Debian's
// (ucspi-tcp-ipv6 0.88) on loopback, in the same run, with the same child
// (echo ok) and the same flags (-RHl0 -c 100 -b 128): connections per
// second with 1 and with 50 concurrent clients, each client connecting,
// reading the child's line and closing; and the server process's peak
// resident memory (VmHWM) over the whole run. It prints each figure
// beside Debian's and the ratio quail/Debian (for connections per second
// above 1 means quail is faster; for memory below 1 means quail uses
// less).
//
//	go run ./bench/tcpserver -bin ./bin
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding quail's tcpserver")
	peer := flag.String("peer", "/usr/bin/tcpserver", "Debian's tcpserver")
	dur := flag.Duration("time", 3*time.Second, "measuring time per figure")
	flag.Parse()
	if err := run(filepath.Join(*bin, "tcpserver"), *peer, *dur); err != nil {
		fmt.Fprintf(os.Stderr, "tcpserver-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

type result struct {
	rate   map[int]float64 // concurrency -> connections per second
	peakKB int
}

var levels = []int{1, 50}

func run(ours, theirs string, dur time.Duration) error {
	echo, err := exec.LookPath("echo")
	if err != nil {
		return err
	}
	fmt.Printf("loopback, child %s ok, flags -RHl0 -c 100 -b 128, %v per figure\n", echo, dur)
	var res [2]result
	for i, bin := range []string{ours, theirs} {
		r, err := measure(bin, echo, dur)
		if err != nil {
			return fmt.Errorf("%s: %w", bin, err)
		}
		res[i] = r
	}
	fmt.Printf("%-28s %12s %12s %8s\n", "", "quail", "debian", "ratio")
	for _, c := range levels {
		q, d := res[0].rate[c], res[1].rate[c]
		fmt.Printf("%-28s %12.0f %12.0f %8.2f\n", fmt.Sprintf("connections/s, %d client(s)", c), q, d, q/d)
	}
	q, d := float64(res[0].peakKB), float64(res[1].peakKB)
	fmt.Printf("%-28s %12.0f %12.0f %8.2f\n", "server peak RSS, KiB", q, d, q/d)
	return nil
}

func measure(bin, echo string, dur time.Duration) (result, error) {
	cmd := exec.Command(bin, "-1", "-RHl0", "-c", "100", "-b", "128", "127.0.0.1", "0", echo, "ok")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return result{}, fmt.Errorf("no port printed: %w", err)
	}
	addr := "127.0.0.1:" + strings.TrimSpace(line)
	r := result{rate: map[int]float64{}}
	for _, c := range levels {
		rate, err := load(addr, c, dur)
		if err != nil {
			return result{}, err
		}
		r.rate[c] = rate
	}
	r.peakKB, err = peakRSS(cmd.Process.Pid)
	return r, err
}

// load runs clients connections in parallel for dur and returns the rate
// of connections fully served.
func load(addr string, clients int, dur time.Duration) (float64, error) {
	var served atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(dur)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := one(addr); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				served.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(served.Load()) / time.Since(start).Seconds(), nil
}

func one(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if string(b) != "ok\n" {
		return fmt.Errorf("child sent %q", b)
	}
	return nil
}

// peakRSS reads VmHWM, the process's peak resident set, in KiB.
func peakRSS(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
