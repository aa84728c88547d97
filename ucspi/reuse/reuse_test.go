package reuse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestEnvRoundTrip(t *testing.T) {
	for _, c := range []struct {
		why  string
		env  []string
		wire string
	}{
		{"no environment at all is no bytes", nil, ""},
		{"one entry ends with a NUL", []string{"A=1"}, "A=1\x00"},
		{"an empty value is a value", []string{"RELAYCLIENT="}, "RELAYCLIENT=\x00"},
		{"only the first '=' separates the name", []string{"X==a=b="}, "X==a=b=\x00"},
		{"order is kept, duplicates too", []string{"B=2", "A=1", "B=3"}, "B=2\x00A=1\x00B=3\x00"},
		{"bytes that are not UTF-8 pass", []string{"H=\xff\xfe\r\n"}, "H=\xff\xfe\r\n\x00"},
	} {
		b := EncodeEnv(c.env)
		if string(b) != c.wire {
			t.Errorf("%s: EncodeEnv(%q) = %q, want %q", c.why, c.env, b, c.wire)
		}
		got, err := DecodeEnv(b)
		if err != nil {
			t.Errorf("%s: DecodeEnv(%q): %v", c.why, b, err)
			continue
		}
		if !slices.Equal(got, c.env) {
			t.Errorf("%s: DecodeEnv(%q) = %q, want %q", c.why, b, got, c.env)
		}
	}
}

func TestDecodeEnvRefuses(t *testing.T) {
	for _, c := range []struct{ why, wire string }{
		{"not terminated", "A=1"},
		{"last entry not terminated", "A=1\x00B=2"},
		{"a lone NUL is one empty entry", "\x00"},
		{"an empty entry in the middle", "A=1\x00\x00B=2\x00"},
		{"an empty entry at the end", "A=1\x00\x00"},
		{"no '='", "A=1\x00NAME\x00"},
		{"an empty name", "=value\x00"},
		{"an empty name and value", "=\x00"},
	} {
		if env, err := DecodeEnv([]byte(c.wire)); err == nil {
			t.Errorf("%s: DecodeEnv(%q) = %q, want an error", c.why, c.wire, env)
		}
	}
}

func TestMaxUse(t *testing.T) {
	for _, c := range []struct {
		why   string
		value string
		set   bool
		want  int
		bad   bool
	}{
		{why: "unset is off"},
		{why: "empty is off", set: true},
		{why: "0 is off", value: "0", set: true},
		{why: "1 is one process per connection: off", value: "1", set: true},
		{why: "2 is the smallest reuse", value: "2", set: true, want: 2},
		{why: "a number of connections", value: "100", set: true, want: 100},
		{why: "negative", value: "-1", set: true, bad: true},
		{why: "not a number", value: "x", set: true, bad: true},
		{why: "trailing junk", value: "3x", set: true, bad: true},
		{why: "spaces", value: " 3", set: true, bad: true},
	} {
		getenv := func(name string) (string, bool) {
			if name != EnvMaxUse {
				t.Errorf("%s: MaxUse read %s", c.why, name)
				return "", false
			}
			return c.value, c.set
		}
		n, err := MaxUse(getenv)
		switch {
		case c.bad && err == nil:
			t.Errorf("%s: MaxUse(%q) = %d, want an error", c.why, c.value, n)
		case c.bad && !strings.Contains(err.Error(), EnvMaxUse):
			t.Errorf("%s: error %q does not name %s", c.why, err, EnvMaxUse)
		case !c.bad && err != nil:
			t.Errorf("%s: MaxUse(%q): %v", c.why, c.value, err)
		case !c.bad && n != c.want:
			t.Errorf("%s: MaxUse(%q) = %d, want %d", c.why, c.value, n, c.want)
		}
	}
}

// pair is tcpserver's end and a Worker on the other, as FromEnv would
// make it, in this process.
func pair(t *testing.T) (*net.UnixConn, *Worker) {
	t.Helper()
	ours, theirs, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.FileConn(theirs)
	theirs.Close()
	if err != nil {
		ours.Close()
		t.Fatal(err)
	}
	w := &Worker{c: c.(*net.UnixConn)}
	t.Cleanup(func() { ours.Close(); w.c.Close() })
	return ours, w
}

// tcpFD is a descriptor of the server end of a loopback TCP connection,
// every other copy of that end closed, and the client end.
func tcpFD(t *testing.T) (int, net.Conn) {
	t.Helper()
	server, client := testbin.TCPPair(t)
	f, err := server.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	server.Close()
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return fd, client
}

// next runs w.Next with a time limit.
func next(t *testing.T, w *Worker) (*os.File, []string, error) {
	t.Helper()
	type result struct {
		f   *os.File
		env []string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, env, err := w.Next()
		ch <- result{f, env, err}
	}()
	select {
	case r := <-ch:
		if r.f != nil {
			t.Cleanup(func() { r.f.Close() })
		}
		return r.f, r.env, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Next did not return in 10 s")
		return nil, nil, nil
	}
}

// TestHandOver sends a TCP connection with its environment: the worker
// gets the socket itself (both ways, and the client sees the end when
// the worker closes it, so no copy stayed behind), pollable for
// deadlines, and the environment as it was; the exit code comes back.
func TestHandOver(t *testing.T) {
	ours, w := pair(t)
	fd, client := tcpFD(t)
	env := []string{"PROTO=TCP", "TCPREMOTEIP=127.0.0.1", "RELAYCLIENT=", "X=a=b"}
	if err := Send(ours, fd, env); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	f, got, err := next(t, w)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, env) {
		t.Errorf("environment %q, want %q", got, env)
	}
	client.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(f, "220 hello\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(client, buf, len("220 hello\r\n"))
	if err != nil || string(buf[:n]) != "220 hello\r\n" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	if _, err := io.WriteString(client, "QUIT\r\n"); err != nil {
		t.Fatal(err)
	}
	n, err = io.ReadAtLeast(f, buf, len("QUIT\r\n"))
	if err != nil || string(buf[:n]) != "QUIT\r\n" {
		t.Fatalf("worker read %q, %v", buf[:n], err)
	}
	// Pollable: a read deadline works, as the session's timeouts need.
	if err := f.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatalf("SetReadDeadline on the socket received: %v", err)
	}
	if _, err := f.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	f.Close()
	if n, err := client.Read(buf); err != io.EOF {
		t.Fatalf("client read %q, %v after the worker closed the socket, want EOF", buf[:n], err)
	}
	for _, code := range []int{0, 1, 111, 255, 256, 70000} {
		if err := w.Done(code); err != nil {
			t.Fatal(err)
		}
		got, err := Result(ours)
		if err != nil || got != code {
			t.Fatalf("Result after Done(%d) = %d, %v", code, got, err)
		}
	}
}

func TestHandOverEmptyEnv(t *testing.T) {
	for _, env := range [][]string{nil, {}} {
		ours, w := pair(t)
		fd, _ := tcpFD(t)
		if err := Send(ours, fd, env); err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
		f, got, err := next(t, w)
		if err != nil {
			t.Fatalf("Send(%#v): Next: %v (an empty environment must not read as the end)", env, err)
		}
		if f == nil || len(got) != 0 {
			t.Fatalf("Send(%#v): Next = %v, %q", env, f, got)
		}
	}
}

// TestEnvSize: an environment of exactly MaxEnv bytes on the wire goes
// over intact; one byte more is ErrEnvTooLarge, and so is a 64 KiB one,
// with nothing sent (the worker then still sees the next connection).
func TestEnvSize(t *testing.T) {
	ours, w := pair(t)
	fd, _ := tcpFD(t)
	defer syscall.Close(fd)
	big := func(wire int) []string {
		// "A=" + value + NUL, with a first small entry.
		return []string{"PROTO=TCP", "A=" + strings.Repeat("v", wire-len("PROTO=TCP\x00")-len("A=\x00"))}
	}
	for _, env := range [][]string{big(MaxEnv + 1), big(64 << 10), {strings.Repeat("B=", 40<<10)}} {
		if n := len(EncodeEnv(env)); n <= MaxEnv {
			t.Fatalf("test environment is %d bytes, not over %d", n, MaxEnv)
		}
		if err := Send(ours, fd, env); !errors.Is(err, ErrEnvTooLarge) {
			t.Fatalf("Send of %d bytes: %v, want ErrEnvTooLarge", len(EncodeEnv(env)), err)
		}
	}
	env := big(MaxEnv)
	if n := len(EncodeEnv(env)); n != MaxEnv {
		t.Fatalf("test environment is %d bytes, want %d", n, MaxEnv)
	}
	if err := Send(ours, fd, env); err != nil {
		t.Fatalf("Send of exactly MaxEnv bytes: %v", err)
	}
	_, got, err := next(t, w)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, env) {
		t.Fatalf("environment of MaxEnv bytes arrived as %d entries, %d bytes", len(got), len(EncodeEnv(got)))
	}
}

// TestEnd: the worker learns there is no more when tcpserver closes its
// end, also while it waits; tcpserver learns the worker is gone.
func TestEnd(t *testing.T) {
	ours, w := pair(t)
	ch := make(chan error, 1)
	go func() {
		f, _, err := w.Next()
		if f != nil {
			f.Close()
		}
		ch <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it block, if it gets that far
	ours.Close()
	select {
	case err := <-ch:
		if err == nil {
			t.Fatal("Next after the server closed: no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next still waiting 10 s after the server closed its end")
	}
	if _, _, err := next(t, w); err == nil {
		t.Fatal("Next again after the end: no error")
	}
	if err := w.Done(0); err == nil {
		t.Fatal("Done with the server gone: no error")
	}

	ours, w = pair(t)
	w.c.Close()
	if code, err := Result(ours); err == nil {
		t.Fatalf("Result with the worker gone = %d, no error", code)
	}
}

// TestResultRefusesBadAnswers: anything but 4 bytes is a broken worker.
func TestResultRefusesBadAnswers(t *testing.T) {
	for _, answer := range []string{"\x00", "\x00\x00\x00", "\x00\x00\x00\x00\x00", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		ours, w := pair(t)
		if _, err := w.c.Write([]byte(answer)); err != nil {
			t.Fatal(err)
		}
		if code, err := Result(ours); err == nil {
			t.Errorf("Result of %d bytes = %d, want an error", len(answer), code)
		}
	}
}

// TestNextRefuses: a message Next cannot use is an error, and any
// descriptor it carried is closed, not kept.
func TestNextRefuses(t *testing.T) {
	for _, c := range []struct {
		why  string
		data []byte
		fds  int
	}{
		{"no descriptor", EncodeEnv([]string{"A=1"}), 0},
		{"no descriptor, a lone NUL", []byte{0}, 0},
		{"two descriptors", EncodeEnv([]string{"A=1"}), 2},
		{"a bad environment", []byte("NAME\x00"), 1},
		{"an environment not terminated", []byte("A=1"), 1},
		{"larger than the buffer: cut short", append(bytes.Repeat([]byte("A=1\x00"), MaxEnv/4), "B=2\x00"...), 1},
		{"an empty message with two descriptors", nil, 2},
	} {
		t.Run(c.why, func(t *testing.T) {
			ours, w := pair(t)
			check := testbin.NoLeaks(t)
			var fds []int
			var clients []net.Conn
			for range c.fds {
				fd, client := tcpFD(t)
				fds = append(fds, fd)
				clients = append(clients, client)
			}
			var oob []byte
			if len(fds) > 0 {
				oob = syscall.UnixRights(fds...)
			}
			if _, _, err := ours.WriteMsgUnix(c.data, oob, nil); err != nil {
				t.Fatal(err)
			}
			for _, fd := range fds {
				syscall.Close(fd)
			}
			f, env, err := next(t, w)
			if err == nil {
				t.Fatalf("Next = %v, %q, want an error", f, env)
			}
			if f != nil {
				t.Fatalf("Next returned a file with its error %v", err)
			}
			for _, c := range clients {
				c.Close()
			}
			check()
		})
	}
}

// TestNoDescriptorGrowth: connection after connection, the worker side
// keeps nothing open.
func TestNoDescriptorGrowth(t *testing.T) {
	ours, w := pair(t)
	fd0, _ := tcpFD(t)
	defer syscall.Close(fd0)
	check := testbin.NoLeaks(t)
	for i := range 50 {
		if err := Send(ours, fd0, []string{"N=" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
		f, env, err := w.Next()
		if err != nil || len(env) != 1 || env[0] != "N="+strconv.Itoa(i) {
			t.Fatalf("connection %d: %q, %v", i, env, err)
		}
		f.Close()
		if err := w.Done(i); err != nil {
			t.Fatal(err)
		}
		if code, err := Result(ours); err != nil || code != i {
			t.Fatalf("connection %d: Result %d, %v", i, code, err)
		}
	}
	check()
}

// TestLoop: Loop gives serve each connection with its environment,
// closes the socket after it, reports the code, and returns when
// tcpserver closes its end.
func TestLoop(t *testing.T) {
	ours, w := pair(t)
	type served struct {
		env  []string
		code int
	}
	got := make(chan served, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Loop(func(conn *os.File, env []string) int {
			io.WriteString(conn, "hello\n")
			got <- served{env: env, code: len(env)}
			return len(env) * 10
		})
	}()
	for i, env := range [][]string{{"A=1"}, {"A=1", "B=2"}, nil} {
		fd, client := tcpFD(t)
		if err := Send(ours, fd, env); err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
		client.SetDeadline(time.Now().Add(10 * time.Second))
		// The end of the data: the worker closed the socket.
		b, err := io.ReadAll(client)
		if err != nil || string(b) != "hello\n" {
			t.Fatalf("connection %d: client read %q, %v", i, b, err)
		}
		s := <-got
		if !slices.Equal(s.env, env) && !(len(s.env) == 0 && len(env) == 0) {
			t.Fatalf("connection %d: serve got %q, want %q", i, s.env, env)
		}
		if code, err := Result(ours); err != nil || code != len(env)*10 {
			t.Fatalf("connection %d: Result %d, %v, want %d", i, code, err, len(env)*10)
		}
	}
	ours.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Loop still running 10 s after tcpserver closed its end")
	}
}

// TestLoopServerGone: when tcpserver is gone while a connection is being
// served, Loop returns after it (its answer cannot be given).
func TestLoopServerGone(t *testing.T) {
	ours, w := pair(t)
	fd, _ := tcpFD(t)
	if err := Send(ours, fd, []string{"A=1"}); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	done := make(chan int, 1)
	n := 0
	go func() {
		w.Loop(func(*os.File, []string) int {
			n++
			ours.Close()
			return 0
		})
		done <- n
	}()
	select {
	case n := <-done:
		if n != 1 {
			t.Fatalf("serve called %d times, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Loop still running 10 s after tcpserver closed its end")
	}
}

// The helper process: a program tcpserver started as a worker. It is
// this test binary again, run by TestWorkerProcess with REUSE_HELPER set
// to what it should do.
func TestMain(m *testing.M) {
	if mode := os.Getenv("REUSE_HELPER"); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

func helper(mode string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "helper: "+format+"\n", a...)
		return 2
	}
	w, err := FromEnv(os.Environ())
	if _, ok := os.LookupEnv(EnvWorker); ok {
		return fail("%s still in the process's environment", EnvWorker)
	}
	if os.Getenv("KEEP") != "me" {
		return fail("FromEnv lost KEEP=me from the process's environment")
	}
	switch mode {
	case "refuse":
		if err == nil || w != nil {
			return fail("FromEnv = %v, %v, want an error", w, err)
		}
		return 0
	case "none":
		if err != nil || w != nil {
			return fail("FromEnv = %v, %v, want nil, nil", w, err)
		}
		return 0
	}
	if err != nil || w == nil {
		return fail("FromEnv = %v, %v", w, err)
	}
	// Nothing the worker starts may hold tcpserver's socket.
	out, _ := exec.Command("/bin/sh", "-c", "readlink /proc/self/fd/3 || true").Output()
	if strings.Contains(string(out), "socket") {
		return fail("a program the worker starts has descriptor 3: %s", out)
	}
	for {
		f, env, err := w.Next()
		if err != nil {
			return 0
		}
		var x string
		for _, e := range env {
			if v, ok := strings.CutPrefix(e, "X="); ok {
				x = v
			}
		}
		io.WriteString(f, "X="+x+"\n")
		f.Close()
		if w.Done(len(x)) != nil {
			return 0
		}
	}
}

// startHelper runs the helper with fd3 (nil: none) as descriptor 3 and
// extra in its environment.
func startHelper(t *testing.T, mode string, fd3 *os.File, extra ...string) (*testbin.Output, chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// GORACE: a race-detecting binary otherwise waits a second at exit.
	cmd.Env = append([]string{"REUSE_HELPER=" + mode, "KEEP=me", "PATH=/usr/bin:/bin", "GORACE=atexit_sleep_ms=0"}, extra...)
	if fd3 != nil {
		cmd.ExtraFiles = []*os.File{fd3}
	}
	var stderr testbin.Output
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		err := <-done
		done <- err
	})
	return &stderr, done
}

func waitHelper(t *testing.T, done chan error, stderr *testbin.Output) {
	t.Helper()
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("helper: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("helper did not exit in 20 s; stderr: %s", stderr.String())
	}
}

// TestWorkerProcess is the whole protocol across processes, as tcpserver
// and qmail-smtpd run it: the worker's end on descriptor 3, connections
// one after another, each with its own environment and exit code, and
// the worker's exit when tcpserver closes its end.
func TestWorkerProcess(t *testing.T) {
	ours, theirs, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	stderr, done := startHelper(t, "serve", theirs, EnvWorker+"="+strconv.Itoa(WorkerFD))
	theirs.Close()
	for i, x := range []string{"first", "", "third connection"} {
		fd, client := tcpFD(t)
		if err := Send(ours, fd, []string{"PROTO=TCP", "X=" + x}); err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
		client.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(client)
		if err != nil || string(b) != "X="+x+"\n" {
			t.Fatalf("connection %d: client read %q, %v; helper stderr: %s", i, b, err, stderr.String())
		}
		code, err := Result(ours)
		if err != nil || code != len(x) {
			t.Fatalf("connection %d: Result %d, %v, want %d; helper stderr: %s", i, code, err, len(x), stderr.String())
		}
	}
	ours.Close()
	waitHelper(t, done, stderr)
}

// TestFromEnvRefuses: TCPSERVERWORKER naming another descriptor, or
// descriptor 3 that is not a SOCK_SEQPACKET socket, is an error; without
// TCPSERVERWORKER the program runs the original way. In a process of its
// own where descriptor 3 matters.
func TestFromEnvRefuses(t *testing.T) {
	for _, v := range []string{"4", "x", "", " 3", "03"} {
		env := []string{"A=1", EnvWorker + "=" + v, "B=2"}
		w, err := FromEnv(env)
		if err == nil || w != nil {
			t.Errorf("%s=%q: FromEnv = %v, %v, want an error", EnvWorker, v, w, err)
		}
	}
	stream, err := net.ListenUnix("unix", &net.UnixAddr{Name: t.TempDir() + "/s", Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	streamFile, err := stream.File()
	if err != nil {
		t.Fatal(err)
	}
	defer streamFile.Close()
	regular, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	_, theirs, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	w := EnvWorker + "="
	for _, c := range []struct {
		why   string
		mode  string
		fd3   *os.File
		extra []string
	}{
		{"unset", "none", theirs, nil},
		{"nothing open on 3", "refuse", nil, []string{w + "3"}},
		{"a regular file on 3", "refuse", regular, []string{w + "3"}},
		{"a stream socket on 3", "refuse", streamFile, []string{w + "3"}},
	} {
		t.Run(c.why, func(t *testing.T) {
			stderr, done := startHelper(t, c.mode, c.fd3, c.extra...)
			waitHelper(t, done, stderr)
		})
	}
}

func FuzzDecodeEnv(f *testing.F) {
	for _, s := range []string{
		"", "\x00", "A=1\x00", "A=1", "A=\x00B=\x00", "=\x00", "A\x00", "A=1\x00\x00",
		"X==\x00", "PROTO=TCP\x00TCPREMOTEIP=127.0.0.1\x00", "\x00\x00", "a=b\x00c",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := DecodeEnv(b)
		if err != nil {
			return
		}
		for _, e := range env {
			if i := strings.IndexByte(e, '='); i <= 0 || strings.IndexByte(e, 0) >= 0 {
				t.Fatalf("DecodeEnv(%q) accepted the entry %q", b, e)
			}
		}
		if again := EncodeEnv(env); !bytes.Equal(again, b) {
			t.Fatalf("DecodeEnv(%q) = %q, which encodes as %q", b, env, again)
		}
	})
}
