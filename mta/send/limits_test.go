package send

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestReadConfigLimits: the concurrencies go up to 509, the FreeBSD
// port's limit (qmail 1.03: 120), and bouncemaxbytes is read with no
// limit by default.
func TestReadConfigLimits(t *testing.T) {
	for _, c := range []struct {
		why, local, remote, maxbytes string
		conc                         [2]int
		bounceMax                    int64
	}{
		{"defaults", "", "", "", [2]int{10, 20}, -1},
		{"509 at most, as the FreeBSD port allows", "509", "509", "50000", [2]int{509, 509}, 50000},
		{"more counts as 509", "510", "100000", "0", [2]int{509, 509}, 0},
		{"0 holds the channel; qmail 1.03's cap is no cap here", "0", "121", "", [2]int{0, 121}, -1},
	} {
		home := t.TempDir()
		files := map[string]string{"me": "me.example", "concurrencylocal": c.local, "concurrencyremote": c.remote, "bouncemaxbytes": c.maxbytes}
		os.Mkdir(filepath.Join(home, "control"), 0o755)
		for name, v := range files {
			if v != "" {
				os.WriteFile(filepath.Join(home, "control", name), []byte(v+"\n"), 0o644)
			}
		}
		cfg, err := ReadConfig(home)
		if err != nil {
			t.Fatalf("%s: %v", c.why, err)
		}
		if cfg.Concurrency != c.conc || cfg.BounceMaxBytes != c.bounceMax {
			t.Errorf("%s: concurrency %v, bouncemaxbytes %d; want %v, %d", c.why, cfg.Concurrency, cfg.BounceMaxBytes, c.conc, c.bounceMax)
		}
	}
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("me.example\n"), 0o644)
	os.WriteFile(filepath.Join(home, "control", "bouncemaxbytes"), []byte("lots\n"), 0o644)
	var ce *ControlError
	if _, err := ReadConfig(home); !errors.As(err, &ce) || ce.Name != "control/bouncemaxbytes" {
		t.Errorf("bouncemaxbytes not a number: %v", err)
	}
}

// TestBounceCopy: what of the message a bounce quotes.
func TestBounceCopy(t *testing.T) {
	msg := "Subject: x\n\n0123456789\n"
	for _, c := range []struct {
		why   string
		limit int64
		want  string
	}{
		{"no bouncemaxbytes: the whole message", -1, msg},
		{"a limit above the size", 1000, msg},
		{"a limit of exactly the size: nothing left out, no note", int64(len(msg)), msg},
		{"one byte less", int64(len(msg) - 1), msg[:len(msg)-1] + StrippedNote},
		{"the head only", 12, "Subject: x\n\n" + StrippedNote},
		{"0: none of it", 0, StrippedNote},
	} {
		f := filepath.Join(t.TempDir(), "m")
		os.WriteFile(f, []byte(msg), 0o600)
		mess, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := BounceCopy(mess, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if _, err := bufio.NewReader(r).WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		mess.Close()
		if b.String() != c.want {
			t.Errorf("%s: %q, want %q", c.why, b.String(), c.want)
		}
	}
}

// TestBounceMaxBytes: with control/bouncemaxbytes the bounce qmail-send
// queues quotes that many bytes of the message and says it cut the
// rest.
func TestBounceMaxBytes(t *testing.T) {
	in := newInstance(t, map[string]string{"bouncemaxbytes": "300"})
	in.start()
	body := strings.Repeat("a line of the body that is long enough\n", 200)
	in.inject("Subject: big\n\n"+body, "s@localhost", "x@fail.example")
	mail := in.waitMail(1)
	bounce := mail[0]
	i := strings.Index(bounce, "--- Below this line is a copy of the message.\n\nReturn-Path: <s@localhost>\n")
	if i < 0 {
		t.Fatalf("no copy of the message:\n%s", bounce)
	}
	copied := bounce[i+len("--- Below this line is a copy of the message.\n\nReturn-Path: <s@localhost>\n"):]
	if !strings.HasSuffix(copied, StrippedNote) || len(copied) != 300+len(StrippedNote) {
		t.Errorf("copy of %d bytes, want 300 and the note:\n%q", len(copied), copied)
	}
	if !strings.HasPrefix(copied, "Received: (qmail ") || !strings.Contains(copied, "\nSubject: big\n\na line of the body") {
		t.Errorf("copy does not begin with the message:\n%q", copied)
	}
}

// holdingSink is an SMTP server that greets nobody until n connections
// are open at once (or a deadline passes), then accepts everything: a
// delivery path that cannot run n deliveries at once never gets the n
// connections up.
type holdingSink struct {
	ln      net.Listener
	mu      sync.Mutex
	open    int
	maxOpen int
	release chan struct{}
	once    sync.Once
	rcpts   int
}

func startHoldingSink(t *testing.T, n int) *holdingSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &holdingSink{ln: ln, release: make(chan struct{})}
	go func() {
		<-time.After(60 * time.Second)
		s.once.Do(func() { close(s.release) })
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.open++
			s.maxOpen = max(s.maxOpen, s.open)
			if s.open >= n {
				s.once.Do(func() { close(s.release) })
			}
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return s
}

func (s *holdingSink) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		s.open--
		s.mu.Unlock()
	}()
	<-s.release
	c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { c.Write([]byte(l + "\r\n")) }
	say("220 hold.test")
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(l)); {
		case cmd == "DATA":
			say("354 go ahead")
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
			}
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			s.mu.Lock()
			s.rcpts++
			s.mu.Unlock()
			say("250 ok")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// TestConcurrency509 runs qmail-start with concurrencyremote 509 and the
// real qmail-rspawn and qmail-remote, and one message to 509 remote
// recipients routed to a server that answers nobody until 509
// connections are open at once: qmail-send starts all 509 deliveries
// (its status line says 509/509), qmail-rspawn runs them side by side,
// and every one succeeds.
func TestConcurrency509(t *testing.T) {
	if testing.Short() {
		t.Skip("509 SMTP sessions at once")
	}
	const n = MaxConcurrency
	sink := startHoldingSink(t, n)
	_, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	in := newInstance(t, map[string]string{"concurrencyremote": strconv.Itoa(n), "smtproutes": "far.example:127.0.0.1:" + port})
	in.useReal("qmail-remote")
	in.start()
	rcpts := make([]string, n)
	for i := range rcpts {
		rcpts[i] = "r" + strconv.Itoa(i) + "@far.example"
	}
	if code := in.inject("Subject: wide\n\nto many\n", "s@localhost", rcpts...); code != 0 {
		t.Fatalf("qmail-queue exit %d", code)
	}
	in.waitLog(`status: local 0/10 remote 509/509\n`)
	if !testbin.Eventually(90*time.Second, func() bool { return strings.Contains(in.log(), "\nend msg ") }) {
		t.Fatalf("not delivered; the sink saw at most %d connections at once; log tail:\n%s", sink.maxOpen, tail(in.log(), 20))
	}
	sink.mu.Lock()
	maxOpen, got := sink.maxOpen, sink.rcpts
	sink.mu.Unlock()
	if maxOpen < n || got != n {
		t.Errorf("%d connections at once, %d recipients; want %d and %d", maxOpen, got, n, n)
	}
	if ok := strings.Count(in.log(), ": success: 127.0.0.1_accepted_message./"); ok != n {
		t.Errorf("%d deliveries succeeded, want %d", ok, n)
	}
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}
