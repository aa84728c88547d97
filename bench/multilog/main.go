// Command multilog-bench measures quail's multilog against Debian's
// (/usr/bin/multilog) in the same run: lines per second and peak resident
// memory of the child (getrusage), with t and two patterns over lines of
// 100 bytes, and prints the ratios. Run from the top of the tree after
// `make build`:
//
//	go run ./bench/multilog [-ours bin/multilog] [-lines 1000000] [-runs 3]
//
// The default current size (s16777215) keeps rotations, and with them
// fsync, rare, and the logs go to /dev/shm when it exists, so that the
// figure is the logger's rather than the disk's; -size 99999 and -dir
// measure otherwise. The best of -runs runs counts for time, the largest
// for memory. CPU time is the child's user plus system time.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// timeProg is GNU time, when installed, for the peak memory of a child.
var timeProg = func() string {
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		return "/usr/bin/time"
	}
	return ""
}()

type result struct {
	best    time.Duration // wall clock
	bestCPU time.Duration // user + system
	maxRSS  int64         // KiB
	bytes   int64         // size of current, to check both logged the same
}

func main() {
	oursPath := flag.String("ours", "bin/multilog", "quail's multilog")
	theirsPath := flag.String("theirs", "/usr/bin/multilog", "the reference multilog")
	lines := flag.Int("lines", 1000000, "input lines of 100 bytes")
	runs := flag.Int("runs", 3, "runs of each")
	size := flag.String("size", "16777215", "the s action's value")
	where := flag.String("dir", defaultDir(), "where to put the input and the logs")
	flag.Parse()

	work, err := os.MkdirTemp(*where, "multilog-bench-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(work)
	input := filepath.Join(work, "input")
	if err := writeInput(input, *lines); err != nil {
		fatal(err)
	}
	script := []string{"t", "-* debug *", "+*important*", "s" + *size, "n3", "./log"}
	fmt.Printf("multilog: %d lines of 100 bytes, script %q, in %s, best of %d\n", *lines, script, *where, *runs)

	abs, err := filepath.Abs(*oursPath)
	if err != nil {
		fatal(err)
	}
	progs := []struct{ name, path string }{{"quail", abs}, {"debian", *theirsPath}}
	if _, err := os.Stat(*theirsPath); err != nil {
		fmt.Printf("%s is not installed: no comparison\n", *theirsPath)
		progs = progs[:1]
	}
	results := make([]result, len(progs))
	for r := 0; r < *runs; r++ {
		for i, p := range progs { // alternate, so that machine noise hits both
			d, cpu, rss, n, err := runOnce(p.path, work, input, script)
			if err != nil {
				fatal(fmt.Errorf("%s: %w", p.name, err))
			}
			if r == 0 || d < results[i].best {
				results[i].best = d
			}
			if r == 0 || cpu < results[i].bestCPU {
				results[i].bestCPU = cpu
			}
			results[i].maxRSS = max(results[i].maxRSS, rss)
			results[i].bytes = n
		}
	}
	fmt.Printf("%-8s %10s %12s %12s %14s\n", "program", "seconds", "lines/s", "CPU seconds", "peak RSS KiB")
	for i, p := range progs {
		r := results[i]
		fmt.Printf("%-8s %10.3f %12.0f %12.3f %14d\n", p.name, r.best.Seconds(), float64(*lines)/r.best.Seconds(), r.bestCPU.Seconds(), r.maxRSS)
	}
	if len(progs) == 2 {
		q, d := results[0], results[1]
		if q.bytes != d.bytes {
			fmt.Printf("warning: current holds %d bytes from quail, %d from debian\n", q.bytes, d.bytes)
		}
		fmt.Printf("ratio quail/debian: throughput %.2fx (CPU time %.2fx less), peak memory %.2fx\n",
			d.best.Seconds()/q.best.Seconds(), d.bestCPU.Seconds()/q.bestCPU.Seconds(), float64(q.maxRSS)/float64(d.maxRSS))
	}
}

// writeInput writes lines of 99 bytes and a newline; a third of them are
// debug lines the first pattern deselects.
func writeInput(path string, lines int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < lines; i++ {
		kind := "info"
		if i%3 == 0 {
			kind = "debug"
		}
		s := fmt.Sprintf("%08d %s important message about something ", i, kind)
		w.WriteString(s + strings.Repeat("x", 99-len(s)) + "\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// defaultDir is a memory file system when there is one, so that the
// figures are the programs' and not the disk's (both fsync each rotation
// and at the end).
func defaultDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// runOnce runs prog over the input in a fresh directory and returns the
// wall time, the CPU time, the child's peak RSS and the size of current.
func runOnce(prog, work, input string, script []string) (wall, cpu time.Duration, rss, size int64, err error) {
	dir, err := os.MkdirTemp(work, "run-")
	if err != nil {
		return
	}
	defer os.RemoveAll(dir)
	in, err := os.Open(input)
	if err != nil {
		return
	}
	defer in.Close()
	// The child's own getrusage figure would include this Go process:
	// Linux carries the peak RSS of the address space a child had before
	// exec into it, and Go starts children from its own. /usr/bin/time is
	// a small C program whose fork has nothing of ours.
	report := filepath.Join(dir, "..", filepath.Base(dir)+".time")
	cmd := exec.Command(timeProg, append([]string{"-f", "%M", "-o", report, prog}, script...)...)
	if timeProg == "" {
		cmd = exec.Command(prog, script...)
	}
	cmd.Dir = dir
	cmd.Stdin = in
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err = cmd.Run(); err != nil {
		return
	}
	wall = time.Since(start)
	cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if timeProg != "" {
		var b []byte
		if b, err = os.ReadFile(report); err != nil {
			return
		}
		fmt.Sscan(string(b), &rss)
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	fi, err := os.Stat(filepath.Join(dir, "log", "current"))
	if err != nil {
		return
	}
	return wall, cpu, rss, fi.Size(), nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "multilog-bench:", err)
	os.Exit(111)
}
