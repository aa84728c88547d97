// Command pop3-bench measures quail's POP3 service on this machine:
// tcpserver + qmail-popup + checkvpw + qmail-pop3d over a single-user
// instance's virtual user, driven by a Go POP3 client on loopback.
//
//   - retrieval rate: one session logs in, RETRs -n messages of -size
//     bytes and QUITs (deleting them with -dele), as messages per second
//     and MB per second;
//   - login rate: -logins sessions of USER, PASS, STAT, QUIT over -s
//     parallel clients, as logins per second (each runs checkvpw and
//     qmail-pop3d);
//   - memory: Pss and private memory of the processes below tcpserver
//     for one idle logged-in session (qmail-popup waiting, qmail-pop3d
//     serving), and threads per session.
//
// There is no peer: no other POP3 server is installed here, so the
// figures stand alone. Run from the top of the tree after make build:
//
//	go run ./bench/pop3 [-bin bin] [-n 2000] [-size 5120] [-logins 300] [-s 4] [-dele]
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/proc"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding quail's programs")
	n := flag.Int("n", 2000, "messages to retrieve")
	size := flag.Int("size", 5120, "message size in bytes")
	logins := flag.Int("logins", 300, "sessions for the login rate")
	par := flag.Int("s", 4, "parallel clients for the login rate")
	dele := flag.Bool("dele", false, "delete the messages after retrieving them")
	flag.Parse()
	if err := run(*bin, *n, *size, *logins, *par, *dele); err != nil {
		fmt.Fprintf(os.Stderr, "pop3-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

func run(bin string, n, size, logins, par int, dele bool) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "pop3-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	qhome := filepath.Join(dir, "qmail")
	home := filepath.Join(dir, "home")
	md := filepath.Join(home, "Maildir")
	for _, d := range []string{qhome + "/users", qhome + "/control", md + "/tmp", md + "/new", md + "/cur"} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	os.WriteFile(qhome+"/control/singleuser", nil, 0o644)
	os.WriteFile(qhome+"/users/vpasswd", []byte("bench:{PLAIN}bench:::"+home+"\n"), 0o600)
	env := []string{"PATH=" + bin + ":/bin:/usr/bin", "QMAILHOME=" + qhome}
	nv := exec.Command(filepath.Join(bin, "qmail-newvpw"))
	nv.Env = env
	if out, err := nv.CombinedOutput(); err != nil {
		return fmt.Errorf("qmail-newvpw: %v: %s", err, out)
	}
	body := strings.Repeat(strings.Repeat("x", 75)+"\n", size/76+1)[:size]
	old := time.Now().Add(-time.Hour)
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("%s/new/%d.M%dP1.bench", md, 1000000+i, i)
		if err := os.WriteFile(p, []byte("Subject: "+fmt.Sprint(i)+"\n\n"+body), 0o600); err != nil {
			return err
		}
		os.Chtimes(p, old, old)
	}
	srv := exec.Command(filepath.Join(bin, "tcpserver"), "-1", "-RH", "-l", "bench", "-c", "1000", "127.0.0.1", "0",
		"qmail-popup", "bench", "checkvpw", "qmail-pop3d", "Maildir")
	srv.Env = env
	out, _ := srv.StdoutPipe()
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("tcpserver printed no port: %v", err)
	}
	addr := "127.0.0.1:" + strings.TrimSpace(line)

	// Retrieval.
	c, err := dial(addr)
	if err != nil {
		return err
	}
	start := time.Now()
	var bytes int64
	for i := 1; i <= n; i++ {
		b, err := c.multi(fmt.Sprintf("RETR %d", i))
		if err != nil {
			return err
		}
		bytes += int64(b)
		if dele {
			if _, err := c.cmd(fmt.Sprintf("DELE %d", i)); err != nil {
				return err
			}
		}
	}
	c.cmd("QUIT")
	el := time.Since(start).Seconds()
	fmt.Printf("retrieval: %d messages of %d bytes in %.2f s: %.0f msg/s, %.1f MB/s\n", n, size, el, float64(n)/el, float64(bytes)/el/1e6)

	// Logins.
	start = time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, par)
	per := logins / par
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				c, err := dial(addr)
				if err == nil {
					_, err = c.cmd("STAT")
				}
				if err == nil {
					_, err = c.cmd("QUIT")
				}
				if c != nil {
					c.conn.Close()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	el = time.Since(start).Seconds()
	fmt.Printf("logins: %d sessions over %d clients in %.2f s: %.0f logins/s\n", per*par, par, el, float64(per*par)/el)

	// Memory of one idle logged-in session.
	idle, err := dial(addr)
	if err != nil {
		return err
	}
	defer idle.conn.Close()
	var m proc.Mem
	threads := 0
	kids, err := proc.Descendants(srv.Process.Pid)
	if err != nil {
		return err
	}
	for _, k := range kids {
		km, err := proc.ReadMem(k.PID)
		if err != nil {
			continue
		}
		m = m.Add(km)
		t, _ := proc.Threads(k.PID)
		threads += t
	}
	fmt.Printf("idle session: %d processes, Pss %d KiB, private %d KiB, %d threads\n", len(kids), m.Pss, m.Private, threads)
	return nil
}

// client is a minimal POP3 client: enough to log in and fetch.
type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func dial(addr string) (*client, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	c := &client{conn, bufio.NewReaderSize(conn, 64<<10)}
	if _, err := c.reply(); err != nil {
		return c, err
	}
	if _, err := c.cmd("USER bench"); err != nil {
		return c, err
	}
	_, err = c.cmd("PASS bench")
	return c, err
}

func (c *client) reply() (string, error) {
	l, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(l, "+OK") {
		return "", fmt.Errorf("server said %q", strings.TrimSpace(l))
	}
	return l, nil
}

func (c *client) cmd(s string) (string, error) {
	if _, err := io.WriteString(c.conn, s+"\r\n"); err != nil {
		return "", err
	}
	return c.reply()
}

// multi sends s and reads a multi-line answer, returning its size.
func (c *client) multi(s string) (int, error) {
	if _, err := c.cmd(s); err != nil {
		return 0, err
	}
	n := 0
	for {
		l, err := c.r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return n, err
		}
		n += len(l)
		if string(l) == ".\r\n" {
			return n, nil
		}
	}
}
