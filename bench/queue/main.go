// Command queue-bench measures quail's local delivery path: messages are
// injected with sendmail (or qmail-queue, -via qmail-queue) by a few
// concurrent injectors into a single-user instance in a temporary
// directory and delivered by qmail-send, qmail-lspawn and qmail-local to
// a Maildir. It prints the throughput (messages delivered per second,
// from the first injection to the last delivery) with the latency each
// message saw under that load, then the latency of -latency messages
// injected one at a time (each after the one before has arrived): from
// the injector's exit to the message's appearance in Maildir/new, median
// and 99th percentile, seen through inotify. It measures quail twice: as
// the single-user instance is, where sendmail queues the message and
// qmail-lspawn delivers it in their own processes, and with qmail-queue
// and qmail-local started as programs for every message, which is what an
// installation with qmail's users pays for its privilege boundaries. Then
// it does the same with a private Postfix instance (Postfix's sendmail,
// delivery by virtual(8) to a Maildir) and prints the ratios and the targets (throughput at least
// Postfix's, median latency one at a time under 5 ms); the Postfix part
// needs root and Debian's postfix package.
//
//	go run ./bench/queue [-bin ./bin] [-n 1000] [-c 4] [-latency 200] [-via sendmail|qmail-queue]
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

	"github.com/quail-mta/quail/bench/internal/benchdir"
	"github.com/quail-mta/quail/mta/users"
	"golang.org/x/sys/unix"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding quail's programs")
	n := flag.Int("n", 1000, "messages")
	conc := flag.Int("c", 4, "concurrent injectors")
	via := flag.String("via", "sendmail", "sendmail or qmail-queue")
	samples := flag.Int("latency", 200, "messages injected one at a time for the latency figures")
	peer := flag.Bool("postfix", true, "measure a private Postfix instance too (root only)")
	runs := flag.Int("runs", 3, "runs of each system; the fastest counts")
	flag.Parse()
	if err := bench(*bin, *n, *conc, *runs, *samples, *via, *peer); err != nil {
		fmt.Fprintf(os.Stderr, "queue-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

// system is a mail system under test: inject puts message i in, newDir
// is the Maildir/new its deliveries land in.
type system struct {
	name   string
	newDir string
	inject func(i int) error
	stop   func()
}

type result struct {
	total, injected time.Duration
	lat             []time.Duration // under load, sorted
	alone           []time.Duration // one message at a time, sorted
}

func bench(bin string, n, conc, runs, samples int, via string, peer bool) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := benchdir.Top("queue-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Runs alternate between the systems and the fastest of each counts,
	// which keeps the ratios meaningful on a shared machine. quail runs
	// twice: as a single-user instance is (sendmail queues the message
	// and qmail-lspawn delivers it in their own processes), and with
	// qmail-queue and qmail-local started as programs for every message,
	// as in an installation with qmail's users, where qmail-queue is
	// set-uid qmailq and qmail-local runs as the recipient.
	quails := []*fastest{{what: "single-user"}, {what: "programs started", programs: true}}
	var pf fastest
	for r := 0; r < runs; r++ {
		for _, qf := range quails {
			d, err := benchdir.Instance(dir, fmt.Sprintf("quail%d-%v", r, qf.programs))
			if err != nil {
				return err
			}
			q, err := quail(d, bin, via, qf.programs)
			if err != nil {
				return err
			}
			res, err := measure(q, n, conc, samples)
			q.stop()
			if err != nil {
				return err
			}
			qf.keep(q.name, res)
		}
		if !peer {
			continue
		}
		d, err := benchdir.Instance(dir, fmt.Sprintf("postfix%d", r))
		if err != nil {
			return err
		}
		p, err := postfix(d)
		if err != nil {
			fmt.Printf("(Postfix not measured: %v)\n", err)
			peer = false
			continue
		}
		res, err := measure(p, n, conc, samples)
		p.stop()
		if err != nil {
			return err
		}
		pf.keep(p.name, res)
	}
	for _, qf := range quails {
		report(qf.name, n, conc, qf.r)
	}
	if !peer {
		return nil
	}
	report(pf.name, n, conc, pf.r)
	pr := pf.r
	for _, qf := range quails {
		fmt.Printf("ratio quail (%s)/Postfix: throughput %.2f (target: at least 1), latency one at a time: median %s, p99 %s (throughput above 1 and latency below 1 favour quail)\n",
			qf.what, pr.total.Seconds()/qf.r.total.Seconds(),
			ratio(median(qf.r.alone), median(pr.alone)), ratio(p99(qf.r.alone), p99(pr.alone)))
	}
	qr := quails[0].r
	if len(qr.alone) == 0 {
		return nil
	}
	verdict := "met"
	if median(qr.alone) >= 5*time.Millisecond {
		verdict = "NOT met"
	}
	fmt.Printf("quail's median latency one at a time: %v (target: under 5 ms: %s)\n", median(qr.alone).Round(time.Microsecond), verdict)
	return nil
}

// fastest keeps the fastest run of one system (one quail configuration).
type fastest struct {
	what     string // the configuration, in the ratio lines
	programs bool   // quail: qmail-queue and qmail-local started as programs
	name     string // the system, as the run named it
	r        result
}

func (f *fastest) keep(name string, r result) {
	if f.r.lat == nil || r.total < f.r.total {
		f.name, f.r = name, r
	}
}

// ratio is a/b, or "-" when either was not measured.
func ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// median and p99 of sorted durations; 0 for none.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[len(d)/2]
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[len(d)*99/100]
}

func report(name string, n, conc int, r result) {
	fmt.Printf("%s: %d messages, %d injectors\n", name, n, conc)
	fmt.Printf("  injected in %v (%.0f msg/s)\n", r.injected.Round(time.Millisecond), float64(n)/r.injected.Seconds())
	fmt.Printf("  delivered in %v: %.0f msg/s\n", r.total.Round(time.Millisecond), float64(n)/r.total.Seconds())
	fmt.Printf("  latency injector exit -> Maildir/new under that load: median %v, p99 %v, max %v\n",
		median(r.lat).Round(time.Microsecond), p99(r.lat).Round(time.Microsecond), r.lat[len(r.lat)-1].Round(time.Microsecond))
	if len(r.alone) == 0 {
		return
	}
	fmt.Printf("  latency of %d messages injected one at a time: median %v, p99 %v, max %v\n", len(r.alone),
		median(r.alone).Round(time.Microsecond), p99(r.alone).Round(time.Microsecond), r.alone[len(r.alone)-1].Round(time.Microsecond))
}

// quail sets up a single-user instance delivering every address to one
// Maildir through the real qmail-local, and starts qmail-start. With
// programs, the instance's qmail-queue and qmail-local are copies with
// the set-gid bit (of the invoking user's own group, so nothing changes
// but that): sendmail and qmail-lspawn then start them as programs for
// every message, as they start the set-uid qmail-queue and the
// qmail-local run as the recipient of an installation with qmail's users.
func quail(dir, bin, via string, programs bool) (*system, error) {
	home := filepath.Join(dir, "qmail")
	user := filepath.Join(dir, "user")
	newDir := filepath.Join(user, "Maildir", "new")
	for _, d := range []string{filepath.Join(home, "control"), filepath.Join(home, "users"), newDir,
		filepath.Join(user, "Maildir", "cur"), filepath.Join(user, "Maildir", "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// The recipient's domain has a dot, so qmail-inject leaves it as it
	// is (it appends defaultdomain to names without one).
	for name, v := range map[string]string{"me": "bench.example", "locals": "bench.example\nlocalhost", "singleuser": "", "concurrencylocal": "10"} {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(v+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	// sendmail runs QMAILHOME/bin/qmail-queue and qmail-lspawn
	// QMAILHOME/bin/qmail-local, as in an installed system.
	if err := linkPrograms(bin, filepath.Join(home, "bin"), programs); err != nil {
		return nil, err
	}
	// DNS questions, which a benchmark must never send to the
	// machine's resolver, go to a port where nobody answers.
	env := []string{"QMAILHOME=" + home, "PATH=" + bin + ":/usr/bin:/bin", "DNSCACHEIP=127.0.0.1:1"}
	name := "quail (qmail-queue, qmail-send, qmail-local) via " + via
	if programs {
		name += ", qmail-queue and qmail-local started as programs"
	}
	if out, err := run(env, filepath.Join(bin, "qmail-qtool"), "create"); err != nil {
		return nil, fmt.Errorf("qmail-qtool create: %v %s", err, out)
	}
	ents, err := users.ParseAssign([]byte(fmt.Sprintf("+:bench:%d:%d:%s:::\n.\n", os.Getuid(), os.Getgid(), user)))
	if err != nil {
		return nil, err
	}
	if err := users.WriteCDB(filepath.Join(home, "users", "cdb"), ents); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	send := exec.Command(filepath.Join(bin, "qmail-start"), "./Maildir/")
	send.Env, send.Stdout, send.Stderr = env, logf, logf
	if err := send.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	return &system{
		name:   name,
		newDir: newDir,
		inject: func(i int) error { return injectQuail(env, bin, via, i) },
		stop: func() {
			send.Process.Signal(syscall.SIGTERM)
			send.Wait()
			logf.Close()
		},
	}, nil
}

// linkPrograms fills the instance's bin with links to the build's
// programs; with programs, qmail-queue and qmail-local are set-gid copies.
func linkPrograms(bin, dst string, programs bool) error {
	if !programs {
		return os.Symlink(bin, dst)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(bin)
	if err != nil {
		return err
	}
	for _, e := range ents {
		src, to := filepath.Join(bin, e.Name()), filepath.Join(dst, e.Name())
		if e.Name() != "qmail-queue" && e.Name() != "qmail-local" {
			if err := os.Symlink(src, to); err != nil {
				return err
			}
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, b, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(to, 0o755|os.ModeSetgid); err != nil {
			return err
		}
	}
	return nil
}

// postfix sets up a private Postfix instance (no network listener) whose
// virtual delivery agent writes every message for joe@localhost to one
// Maildir, and starts it. It needs root.
func postfix(dir string) (*system, error) {
	if os.Getuid() != 0 {
		return nil, errors.New("a private Postfix instance needs root")
	}
	if _, err := os.Stat("/usr/sbin/postfix"); err != nil {
		return nil, errors.New("Postfix is not installed")
	}
	conf := filepath.Join(dir, "conf")
	vmail := filepath.Join(dir, "vmail")
	newDir := filepath.Join(vmail, "joe", "Maildir", "new")
	for _, d := range []string{conf, filepath.Join(dir, "queue"), filepath.Join(dir, "data"), newDir,
		filepath.Join(vmail, "joe", "Maildir", "cur"), filepath.Join(vmail, "joe", "Maildir", "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// Deliveries run as nobody, the queue's data belongs to postfix.
	for _, c := range [][]string{{"chown", "-R", "65534:65534", vmail}, {"chown", "postfix", filepath.Join(dir, "data")}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%v: %v %s", c, err, out)
		}
	}
	master, err := os.ReadFile("/etc/postfix/master.cf")
	if err != nil {
		return nil, err
	}
	var mc bytes.Buffer
	for _, l := range bytes.SplitAfter(master, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("smtp ")) && bytes.Contains(l, []byte(" inet ")) {
			continue // no listener on port 25
		}
		mc.Write(l)
	}
	if err := os.WriteFile(filepath.Join(conf, "master.cf"), mc.Bytes(), 0o644); err != nil {
		return nil, err
	}
	main := "compatibility_level = 3.6\n" +
		"queue_directory = " + filepath.Join(dir, "queue") + "\n" +
		"data_directory = " + filepath.Join(dir, "data") + "\n" +
		"command_directory = /usr/sbin\ndaemon_directory = /usr/lib/postfix/sbin\n" +
		"meta_directory = /etc/postfix\nshlib_directory = /usr/lib/postfix\n" +
		"mail_owner = postfix\nsetgid_group = postdrop\n" +
		"myhostname = localhost\nmydomain = localdomain\nmyorigin = localhost\nmydestination =\n" +
		"inet_interfaces = loopback-only\ninet_protocols = ipv4\nalias_maps =\nlocal_recipient_maps =\n" +
		"virtual_mailbox_domains = localhost\nvirtual_mailbox_base = " + vmail + "\n" +
		"virtual_mailbox_maps = static:joe/Maildir/\nvirtual_uid_maps = static:65534\nvirtual_gid_maps = static:65534\n" +
		"virtual_minimum_uid = 100\nvirtual_destination_concurrency_limit = 10\n" +
		"maillog_file = " + filepath.Join(dir, "maillog") + "\nmaillog_file_prefixes = " + dir + "\n"
	if err := os.WriteFile(filepath.Join(conf, "main.cf"), []byte(main), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command("/usr/sbin/postfix", "-c", conf, "start").CombinedOutput(); err != nil {
		logged, _ := os.ReadFile(filepath.Join(dir, "maillog"))
		return nil, fmt.Errorf("postfix start: %v %s %s", err, out, logged)
	}
	return &system{
		name:   "Postfix (sendmail, postdrop, pickup, cleanup, qmgr, virtual)",
		newDir: newDir,
		inject: func(i int) error {
			cmd := exec.Command("/usr/sbin/sendmail", "-C", conf, "-f", "bench@localhost", "joe@localhost")
			cmd.Stdin = bytes.NewReader(message(i))
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("Postfix sendmail: %v %s", err, out)
			}
			return nil
		},
		stop: func() { exec.Command("/usr/sbin/postfix", "-c", conf, "stop").Run() },
	}, nil
}

func message(i int) []byte {
	return []byte("X-Seq: " + strconv.Itoa(i) + "\nSubject: bench\n\nmessage " + strconv.Itoa(i) + "\n")
}

// measure injects n messages from conc injectors and waits for all of
// them in the Maildir, then injects samples messages one at a time, each
// after the one before has arrived: the latency a message sees when the
// system is not busy with others.
func measure(sys *system, n, conc, samples int) (result, error) {
	r, err := measureLoad(sys, n, conc)
	if err != nil {
		return r, err
	}
	r.alone, err = measureAlone(sys, n, samples)
	return r, err
}

func measureAlone(sys *system, first, samples int) ([]time.Duration, error) {
	arrivals, stopWatch, err := watch(sys.newDir)
	if err != nil {
		return nil, err
	}
	defer stopWatch()
	var lat []time.Duration
	for i := first + 1; i <= first+samples; i++ {
		if err := sys.inject(i); err != nil {
			return nil, err
		}
		exit := time.Now()
		select {
		case a := <-arrivals:
			lat = append(lat, a.at.Sub(exit))
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("%s: message %d not delivered within 30 s", sys.name, i)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, nil
}

func measureLoad(sys *system, n, conc int) (result, error) {
	arrivals, stopWatch, err := watch(sys.newDir)
	if err != nil {
		return result{}, err
	}
	defer stopWatch()
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
				if err := sys.inject(i); err != nil {
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
		return result{}, injErr
	}
	r := result{injected: time.Since(start)}
	seen := map[string]time.Time{}
	deadline := time.After(10 * time.Minute)
	for len(seen) < n {
		select {
		case a := <-arrivals:
			seen[a.name] = a.at
		case <-deadline:
			return result{}, fmt.Errorf("%s: only %d of %d messages delivered", sys.name, len(seen), n)
		}
	}
	var last time.Time
	seq := regexp.MustCompile(`(?m)^X-Seq: (\d+)$`)
	for name, at := range seen {
		if at.After(last) {
			last = at
		}
		b, err := os.ReadFile(filepath.Join(sys.newDir, name))
		if err != nil {
			return result{}, err
		}
		m := seq.FindSubmatch(b)
		if m == nil {
			return result{}, fmt.Errorf("message %s without X-Seq", name)
		}
		i, _ := strconv.Atoi(string(m[1]))
		r.lat = append(r.lat, at.Sub(exits[i]))
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	r.total = last.Sub(start)
	return r, nil
}

func run(env []string, prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

func injectQuail(env []string, bin, via string, i int) error {
	msg := message(i)
	if via == "sendmail" {
		cmd := exec.Command(filepath.Join(bin, "sendmail"), "-f", "bench@bench.example", "joe@bench.example")
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
	ew.Write([]byte("Fbench@bench.example\x00Tjoe@bench.example\x00\x00"))
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
// it), with the time its event was read. Stopping removes the watch; the
// reader sees IN_IGNORED and only then closes the descriptor, so that a
// later watch reusing its number is never read by this one's goroutine.
func watch(dir string) (<-chan arrival, func(), error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO|unix.IN_CREATE)
	if err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	ch := make(chan arrival, 1<<16)
	go func() {
		defer unix.Close(fd)
		buf := make([]byte, 64<<10)
		for {
			k, err := unix.Read(fd, buf)
			if err != nil || k <= 0 {
				return
			}
			now := time.Now()
			for off := 0; off+unix.SizeofInotifyEvent <= k; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				if ev.Mask&unix.IN_IGNORED != 0 {
					return
				}
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if ev.Len > 0 {
					select {
					case ch <- arrival{string(bytes.TrimRight(name, "\x00")), now}:
					default: // nobody reads any more
					}
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	return ch, func() { unix.InotifyRmWatch(fd, uint32(wd)) }, nil
}
