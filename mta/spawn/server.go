package spawn

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Serve reads requests from in until it ends, runs deliver for each in
// its own goroutine (qmail-send bounds how many run at once), and writes
// the replies to out. It returns after the last reply, or on the first
// malformed request or write error.
func Serve(in io.Reader, out io.Writer, deliver func(Request) (byte, string)) error {
	r := bufio.NewReader(in)
	var (
		mu   sync.Mutex
		werr error
		wg   sync.WaitGroup
	)
	defer wg.Wait()
	for {
		req, err := ReadRequest(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, text := deliver(req)
			b := AppendReply(nil, Reply{Delnum: req.Delnum, Result: res, Text: text})
			mu.Lock()
			defer mu.Unlock()
			if werr == nil {
				_, werr = out.Write(b)
			}
		}()
		mu.Lock()
		err = werr
		mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Capped keeps the first MaxText bytes written to it and drops the rest,
// so a chatty child cannot grow a report without bound.
type Capped struct {
	mu  sync.Mutex
	buf []byte
}

func (c *Capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := MaxText - len(c.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		c.buf = append(c.buf, p[:room]...)
	}
	return len(p), nil
}

func (c *Capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

// Program finds a program the spawn daemons run: the one installed in the
// qmail home's bin/, else the one next to the running executable.
func Program(home, name string) string {
	p := filepath.Join(home, "bin", name)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return p
	}
	if self, err := os.Executable(); err == nil {
		p2 := filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(p2); err == nil {
			return p2
		}
	}
	if p2, err := exec.LookPath(name); err == nil {
		return p2
	}
	return p
}
