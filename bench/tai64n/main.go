// Command tai64n-bench measures quail's tai64n and tai64nlocal beside
// Debian's (daemontools 0.76) on the same input: by default 1,000,000
// lines of 100 bytes, read from a file and written to /dev/null. Each
// program runs a few times and the best wall-clock time counts, which
// keeps the figures stable on a shared machine. It prints lines per second
// for each and the ratio quail/Debian (above 1 means quail is faster).
//
//	go run ./bench/tai64n -bin ./bin
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding quail's tai64n and tai64nlocal")
	lines := flag.Int("lines", 1_000_000, "lines of input")
	size := flag.Int("size", 100, "bytes per line, newline included")
	runs := flag.Int("runs", 3, "runs per program; the fastest counts")
	peerDir := flag.String("peer", "/usr/bin", "directory holding Debian's tools")
	flag.Parse()
	if err := bench(*bin, *peerDir, *lines, *size, *runs); err != nil {
		fmt.Fprintf(os.Stderr, "tai64n-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

func bench(bin, peerDir string, lines, size, runs int) error {
	dir, err := os.MkdirTemp("", "tai64n-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	plain := filepath.Join(dir, "plain")
	if err := writeInput(plain, lines, size); err != nil {
		return err
	}
	ours := func(p string) string { return filepath.Join(bin, p) }
	peer := func(p string) string { return filepath.Join(peerDir, p) }
	for _, p := range []string{ours("tai64n"), ours("tai64nlocal"), peer("tai64n"), peer("tai64nlocal")} {
		if _, err := os.Stat(p); err != nil {
			return err
		}
	}
	// tai64nlocal reads what tai64n writes.
	stamped := filepath.Join(dir, "stamped")
	if err := runOnce(ours("tai64n"), plain, stamped); err != nil {
		return err
	}
	fmt.Printf("input: %d lines of %d bytes; output to /dev/null; best of %d runs\n", lines, size, runs)
	for _, prog := range []struct{ name, input string }{{"tai64n", plain}, {"tai64nlocal", stamped}} {
		q, err := best(ours(prog.name), prog.input, runs)
		if err != nil {
			return err
		}
		d, err := best(peer(prog.name), prog.input, runs)
		if err != nil {
			return err
		}
		qr, dr := float64(lines)/q.Seconds(), float64(lines)/d.Seconds()
		fmt.Printf("%-12s quail %12.0f lines/s   debian %12.0f lines/s   ratio %.2f\n", prog.name, qr, dr, qr/dr)
	}
	return nil
}

func writeInput(name string, lines, size int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	body := strings.Repeat("x", max(size-1, 0))
	for i := range lines {
		// Vary the start so the lines are not all alike.
		line := fmt.Sprintf("%08d %s", i, body)
		w.WriteString(line[:max(size-1, 0)])
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func best(prog, input string, runs int) (time.Duration, error) {
	var min time.Duration
	for range runs {
		start := time.Now()
		if err := runOnce(prog, input, os.DevNull); err != nil {
			return 0, err
		}
		if d := time.Since(start); min == 0 || d < min {
			min = d
		}
	}
	return min, nil
}

func runOnce(prog, input, output string) error {
	in, err := os.Open(input)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(output)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(prog)
	cmd.Env = []string{"TZ=Europe/Berlin"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", prog, err)
	}
	return nil
}
