package client

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// scriptDir is a directory with our tcpcat, who@, date@, finger@ and
// http@ beside the programs they run.
func scriptDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"tcpclient", "addcr", "delcr"} {
		if err := os.Symlink(testbin.Path(t, p), filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"tcpcat", "who@", "date@", "finger@", "http@"} {
		b, err := os.ReadFile(filepath.Join(root, "scripts", "bin", s))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineServer answers each connection with reply, after reading the
// client's request up to an empty line (readAll) or its first line
// (!readAll), or at once when read is false.
func lineServer(t *testing.T, addr, reply string, read, readAll bool) (int, chan string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	reqs := make(chan string, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			var req strings.Builder
			if read {
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					req.WriteString(l)
					if err != nil || !readAll || l == "\r\n" {
						break
					}
				}
			}
			reqs <- req.String()
			io.WriteString(c, reply)
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, reqs
}

// TestCompatScripts runs Debian's scripts and ours against the same
// servers and compares what they print and what they send.
func TestCompatScripts(t *testing.T) {
	ours := scriptDir(t)
	env := []string{"PATH=/usr/bin:/bin"}
	check := func(t *testing.T, script string, reqs chan string, args ...string) {
		theirs := testbin.Peer(t, script)
		wantOut, wantErr, wantCode := run(t, theirs, env, "", args...)
		wantReq := <-reqs
		gotOut, gotErr, gotCode := run(t, filepath.Join(ours, script), env, "", args...)
		gotReq := <-reqs
		if wantOut == "" {
			t.Fatalf("Debian's %s printed nothing (stderr %q)", script, wantErr)
		}
		if wantOut != gotOut || wantErr != gotErr || wantCode != gotCode || wantReq != gotReq {
			t.Errorf("%s: Debian's sent %q, printed %q %q, exit %d; ours sent %q, printed %q %q, exit %d",
				script, wantReq, wantOut, wantErr, wantCode, gotReq, gotOut, gotErr, gotCode)
		}
	}
	t.Run("tcpcat", func(t *testing.T) {
		port, reqs := lineServer(t, "127.0.0.1:0", "line one\r\nline\ttwo\n", false, false)
		check(t, "tcpcat", reqs, "127.0.0.1", strconv.Itoa(port))
	})
	t.Run("http@", func(t *testing.T) {
		port, reqs := lineServer(t, "127.0.0.1:0", "HTTP/1.0 200 OK\r\nServer: test\r\n\r\n<p>body</p>\r\nmore\x01\r\n", true, true)
		check(t, "http@", reqs, "127.0.0.1", "page.html", strconv.Itoa(port))
	})
	// The others have fixed ports: they need a spare loopback address.
	for _, tc := range []struct {
		script string
		port   int
		read   bool
		args   []string
	}{
		{"date@", 13, false, nil},
		{"who@", 11, false, nil},
		{"finger@", 79, true, []string{"someone"}},
	} {
		t.Run(tc.script, func(t *testing.T) {
			ip := testbin.SpareLoopback(t, tc.port)
			_, reqs := lineServer(t, ip+":"+strconv.Itoa(tc.port), "Sun Nov 22 03:00:00 2026\x7f\r\n", tc.read, false)
			check(t, tc.script, reqs, append([]string{ip}, tc.args...)...)
		})
	}
}
