// Command queue-bench measures quail's local delivery path: messages are
// injected with qmail-queue (or sendmail) by a few concurrent injectors
// into a single-user instance in a temporary directory and delivered by
// qmail-send, qmail-lspawn and qmail-local to a Maildir. It prints the
// throughput (messages delivered per second, from the first injection to
// the last delivery) and the latency from qmail-queue's exit to the
// message's appearance in Maildir/new (median and 99th percentile, seen
// through inotify). A Postfix comparison is still to come.
//
//	go run ./bench/queue -bin ./bin -n 1000
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/mta/users"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding quail's programs")
	n := flag.Int("n", 1000, "messages")
	conc := flag.Int("c", 4, "concurrent injectors")
	via := flag.String("via", "qmail-queue", "qmail-queue or sendmail")
	flag.Parse()
	if err := bench(*bin, *n, *conc, *via); err != nil {
		fmt.Fprintf(os.Stderr, "queue-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

func bench(bin string, n, conc int, via string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "queue-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	home := filepath.Join(dir, "qmail")
	user := filepath.Join(dir, "user")
	newDir := filepath.Join(user, "Maildir", "new")
	for _, d := range []string{filepath.Join(home, "control"), filepath.Join(home, "users"), newDir,
		filepath.Join(user, "Maildir", "cur"), filepath.Join(user, "Maildir", "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, v := range map[string]string{"me": "localhost", "singleuser": "", "concurrencylocal": "10"} {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(v+"\n"), 0o644); err != nil {
			return err
		}
	}
	env := []string{"QMAILHOME=" + home, "PATH=" + bin + ":/usr/bin:/bin"}
	if out, err := run(env, filepath.Join(bin, "qmail-qtool"), "create"); err != nil {
		return fmt.Errorf("qmail-qtool create: %v %s", err, out)
	}
	ents, err := users.ParseAssign([]byte(fmt.Sprintf("+:bench:%d:%d:%s:::\n.\n", os.Getuid(), os.Getgid(), user)))
	if err != nil {
		return err
	}
	if err := users.WriteCDB(filepath.Join(home, "users", "cdb"), ents); err != nil {
		return err
	}

	arrivals, stopWatch, err := watch(newDir)
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	send := exec.Command(filepath.Join(bin, "qmail-start"), "./Maildir/")
	send.Env, send.Stdout, send.Stderr = env, logf, logf
	if err := send.Start(); err != nil {
		return err
	}
	defer func() { send.Process.Signal(syscall.SIGTERM); send.Wait() }()

	exits := make([]time.Time, n+1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := 0
	var injErr error
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				next++
				i := next
				mu.Unlock()
				if i > n {
					return
				}
				if err := inject(env, bin, via, i); err != nil {
					mu.Lock()
					injErr = err
					mu.Unlock()
					return
				}
				t := time.Now()
				mu.Lock()
				exits[i] = t
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if injErr != nil {
		return injErr
	}
	injected := time.Since(start)

	seen := map[string]time.Time{}
	deadline := time.Now().Add(10 * time.Minute)
	for len(seen) < n {
		select {
		case a := <-arrivals:
			seen[a.name] = a.at
		case <-time.After(time.Until(deadline)):
			return fmt.Errorf("only %d of %d messages delivered", len(seen), n)
		}
	}
	stopWatch()
	var last time.Time
	seq := regexp.MustCompile(`(?m)^X-Seq: (\d+)$`)
	var lat []time.Duration
	for name, at := range seen {
		if at.After(last) {
			last = at
		}
		b, err := os.ReadFile(filepath.Join(newDir, name))
		if err != nil {
			return err
		}
		m := seq.FindSubmatch(b)
		if m == nil {
			return fmt.Errorf("message %s without X-Seq", name)
		}
		i, _ := strconv.Atoi(string(m[1]))
		lat = append(lat, at.Sub(exits[i]))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	total := last.Sub(start)
	fmt.Printf("quail local delivery via %s: %d messages, %d injectors\n", via, n, conc)
	fmt.Printf("  injected in %v (%.0f msg/s)\n", injected.Round(time.Millisecond), float64(n)/injected.Seconds())
	fmt.Printf("  delivered in %v: %.0f msg/s\n", total.Round(time.Millisecond), float64(n)/total.Seconds())
	fmt.Printf("  latency qmail-queue exit -> Maildir/new: median %v, p99 %v, max %v\n",
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	fmt.Println("  (no Postfix figure yet)")
	return nil
}

func run(env []string, prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

func inject(env []string, bin, via string, i int) error {
	msg := []byte("X-Seq: " + strconv.Itoa(i) + "\nSubject: bench\n\nmessage " + strconv.Itoa(i) + "\n")
	if via == "sendmail" {
		cmd := exec.Command(filepath.Join(bin, "sendmail"), "-f", "bench@localhost", "joe@localhost")
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(msg)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("sendmail: %v %s", err, out)
		}
		return nil
	}
	er, ew, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, "qmail-queue"))
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Stdout = er
	if err := cmd.Start(); err != nil {
		return err
	}
	er.Close()
	ew.Write([]byte("Fbench@localhost\x00Tjoe@localhost\x00\x00"))
	ew.Close()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("qmail-queue exit %d", ee.ExitCode())
		}
		return err
	}
	return nil
}

type arrival struct {
	name string
	at   time.Time
}

// watch reports each file that appears in dir (created or renamed into
// it), with the time its event was read.
func watch(dir string) (<-chan arrival, func(), error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO|unix.IN_CREATE); err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	ch := make(chan arrival, 1<<16)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			k, err := unix.Read(fd, buf)
			if err != nil || k <= 0 {
				return
			}
			now := time.Now()
			for off := 0; off+unix.SizeofInotifyEvent <= k; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				ch <- arrival{string(bytes.TrimRight(name, "\x00")), now}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	return ch, func() { unix.Close(fd) }, nil
}
