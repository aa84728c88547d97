package proc

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A command name may hold spaces and parentheses; stat's fields after it
// must still be found.
func TestReadStatOddName(t *testing.T) {
	odd := filepath.Join(t.TempDir(), "a) (b c")
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	s, err := ReadStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if s.Comm != "a) (b c" || s.PPID != os.Getpid() {
		t.Fatalf("got %+v, want comm %q and ppid %d", s, "a) (b c", os.Getpid())
	}
}

// A grandchild is a descendant but not a child.
func TestDescendants(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	me := os.Getpid()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := Descendants(me)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range d {
			if s.Comm == "sleep" && s.PPID == cmd.Process.Pid {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep below sh %d not among descendants %+v", cmd.Process.Pid, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	kids, err := Children(me)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if k.Comm == "sleep" && k.PPID != me {
			t.Fatalf("grandchild listed as child: %+v", k)
		}
	}
}

// This process holds both ends of a loopback connection: it is found as
// the server end's holder.
func TestServingTCP(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := ServingTCP(l.Addr().(*net.TCPAddr).Port, c.LocalAddr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].PID != os.Getpid() {
		t.Fatalf("got %+v, want only this process %d", got, os.Getpid())
	}
	if _, err := ServingTCP(l.Addr().(*net.TCPAddr).Port, 1); err == nil {
		t.Fatal("a connection from port 1 was found")
	}
}

// A Go process has heap and stacks; its shares cannot exceed its
// resident set.
func TestReadMemSelf(t *testing.T) {
	m, err := ReadMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.Anonymous <= 0 || m.Private < m.Anonymous/2 || m.Pss > m.Rss || m.Private > m.Rss {
		t.Fatalf("implausible %+v", m)
	}
	if n, err := Threads(os.Getpid()); err != nil || n < 1 {
		t.Fatalf("threads %d, %v", n, err)
	}
}

// A child that spins is charged to it, and once reaped to its parent's
// tree; the tree's time never goes down.
func TestTreeCPU(t *testing.T) {
	me := os.Getpid()
	before, err := TreeCPU(me)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	after, err := TreeCPU(me)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Fatalf("tree CPU %v before a busy child, %v after", before, after)
	}
}

// FDs sees a descriptor come and go; OpenFilesLimit reads the limit the
// process has.
func TestFDsAndLimit(t *testing.T) {
	before, err := FDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	during, _ := FDs(os.Getpid())
	f.Close()
	after, _ := FDs(os.Getpid())
	if during != before+1 || after != before {
		t.Errorf("descriptors %d, %d with one open, %d after", before, during, after)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	n, err := OpenFilesLimit(os.Getpid())
	if err != nil || uint64(n) != rl.Cur {
		t.Errorf("OpenFilesLimit = %d, %v; getrlimit says %d", n, err, rl.Cur)
	}
	if a, m, err := SystemFiles(); err != nil || a <= 0 || m < a {
		t.Errorf("SystemFiles = %d, %d, %v", a, m, err)
	}
}
