package supervise

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
)

const (
	scanInterval = 5 * time.Second // 0.76 sleeps 5 seconds between scans
	maxServices  = 1000            // 0.76's SERVICES
	// On SIGTERM, services get stopGrace to go down after svc -dx; those
	// still running are then sent KILL and get killGrace more.
	stopGrace = 8 * time.Second
	killGrace = 2 * time.Second
)

// service is one subdirectory svscan looks after, named by its device and
// inode as in 0.76, so a renamed directory keeps its supervise.
type service struct {
	dev, ino uint64
	name     string // as found in the scan directory
	active   bool   // seen in the latest scan
	hasLog   bool
	pid      int // supervise NAME, 0 when not running
	pidLog   int // supervise log in NAME, 0 when not running
	// The pipe from the service to its logger. svscan holds both ends for
	// as long as it knows the service, so neither side's restart loses
	// what is buffered in it.
	pipeR, pipeW *os.File

	sentDown, sentLogExit bool // during shutdown
}

type scanner struct {
	inv      *cli.Invocation
	dir      string
	env      []string
	stdio    [3]uintptr
	services []*service
}

// Svscan implements svscan(8): svscan [dir]. It starts supervise for every
// subdirectory of dir (default the current directory) whose name does not
// start with a dot, plus supervise for NAME/log with a pipe between the two
// when that exists, and looks again every five seconds or at once on
// SIGALRM. On SIGTERM or SIGINT it stops every service (svc -dx, then its
// logger once the service's output is drained), waits for them within a
// bound, and exits: 0 when all stopped, 111 when some did not.
func Svscan(inv *cli.Invocation) int {
	sc := &scanner{inv: inv, dir: ".", env: inv.Env, stdio: stdioOf(inv)}
	if len(inv.Args) > 1 {
		sc.dir = inv.Args[1]
	}
	if fi, err := os.Stat(sc.dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = syscall.ENOTDIR
		}
		return inv.Fatal(cli.ExitTemporary, "unable to chdir to %s: %s", sc.dir, djberr.Text(err))
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	defer sc.closePipes()

	next := time.NewTimer(0)
	defer next.Stop()
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGCHLD:
				sc.reap()
			case syscall.SIGALRM:
				sc.reap()
				sc.scan()
				next.Reset(scanInterval)
			default:
				return sc.shutdown(sigs)
			}
		case <-next.C:
			sc.reap()
			sc.scan()
			next.Reset(scanInterval)
		}
	}
}

// reap collects every exited child. As process 1 of a container svscan
// also inherits orphans, and reaps them here too.
func (sc *scanner) reap() {
	for r := reapOne(); r != 0; r = reapOne() {
		for _, s := range sc.services {
			if s.pid == r {
				s.pid = 0
				break
			}
			if s.pidLog == r {
				s.pidLog = 0
				break
			}
		}
	}
}

// scan is 0.76's doit after the reaping: mark, start, sweep.
func (sc *scanner) scan() {
	for _, s := range sc.services {
		s.active = false
	}
	entries, err := os.ReadDir(sc.dir)
	if err != nil {
		sc.inv.Warn("unable to read directory: %s", djberr.Text(err))
		return
	}
	for _, e := range entries {
		sc.start(e.Name())
	}
	kept := sc.services[:0]
	for _, s := range sc.services {
		if !s.active && s.pid == 0 && s.pidLog == 0 {
			s.closePipe()
			continue
		}
		kept = append(kept, s)
	}
	for i := len(kept); i < len(sc.services); i++ {
		sc.services[i] = nil
	}
	sc.services = kept
}

func (sc *scanner) start(name string) {
	if name[0] == '.' {
		return
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(sc.dir, name), &st); err != nil {
		sc.inv.Warn("unable to stat %s: %s", name, djberr.Text(err))
		return
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	s := sc.find(st.Dev, st.Ino)
	if s == nil {
		if len(sc.services) >= maxServices {
			sc.inv.Warn("unable to start %s: running too many services", name)
			return
		}
		s = &service{dev: st.Dev, ino: st.Ino, name: name}
		var lst unix.Stat_t
		err := unix.Stat(filepath.Join(sc.dir, name, "log"), &lst)
		switch {
		case err == nil:
			s.hasLog = lst.Mode&unix.S_IFMT == unix.S_IFDIR
		case !errors.Is(err, unix.ENOENT):
			sc.inv.Warn("unable to stat %s/log: %s", name, djberr.Text(err))
			return
		}
		if s.hasLog {
			r, w, err := os.Pipe()
			if err != nil {
				sc.inv.Warn("unable to create pipe for %s: %s", name, djberr.Text(err))
				return
			}
			// The children get the pipe blocking, as from pipe(2).
			r.Fd()
			w.Fd()
			s.pipeR, s.pipeW = r, w
		}
		sc.services = append(sc.services, s)
	}
	s.active = true
	s.name = name

	if s.pid == 0 {
		out := sc.stdio[1]
		if s.hasLog {
			out = s.pipeW.Fd()
		}
		pid, err := sc.spawn(sc.dir, name, [3]uintptr{sc.stdio[0], out, sc.stdio[2]})
		if err != nil {
			sc.inv.Warn("unable to start supervise %s: %s", name, djberr.Text(err))
			return
		}
		s.pid = pid
	}
	if s.hasLog && s.pidLog == 0 {
		pid, err := sc.spawn(filepath.Join(sc.dir, name), "log", [3]uintptr{s.pipeR.Fd(), sc.stdio[1], sc.stdio[2]})
		if err != nil {
			sc.inv.Warn("unable to start supervise %s/log: %s", name, djberr.Text(err))
			return
		}
		s.pidLog = pid
	}
}

func (sc *scanner) find(dev, ino uint64) *service {
	for _, s := range sc.services {
		if s.dev == dev && s.ino == ino {
			return s
		}
	}
	return nil
}

// spawn runs "supervise arg" in dir, supervise found through $PATH as
// 0.76's pathexec_run finds it, with svscan's environment.
func (sc *scanner) spawn(dir, arg string, stdio [3]uintptr) (int, error) {
	prog, err := pathexec.Lookup("supervise", sc.env)
	if err != nil {
		return 0, err
	}
	if !filepath.IsAbs(prog) {
		// A relative $PATH entry means relative to svscan's directory, not
		// to the child's.
		if abs, aerr := filepath.Abs(prog); aerr == nil {
			prog = abs
		}
	}
	return syscall.ForkExec(prog, []string{"supervise", arg}, &syscall.ProcAttr{
		Dir:   dir,
		Env:   sc.env,
		Files: stdio[:],
	})
}

func (s *service) closePipe() {
	if s.pipeR != nil {
		s.pipeR.Close()
		s.pipeR = nil
	}
	if s.pipeW != nil {
		s.pipeW.Close()
		s.pipeW = nil
	}
}

func (sc *scanner) closePipes() {
	for _, s := range sc.services {
		s.closePipe()
	}
}

// shutdown takes every service down and waits for its supervise to exit.
// A service's logger is told to exit when down (svc -x), and svscan closes
// its end of the pipe once the service's supervise is gone, so the logger
// reads everything the service wrote, then end of file, and exits by
// itself.
func (sc *scanner) shutdown(sigs <-chan os.Signal) int {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(stopGrace)
	killing := false
	for {
		sc.reap()
		running := false
		for _, s := range sc.services {
			main := filepath.Join(sc.dir, s.name)
			if s.pid != 0 && !s.sentDown {
				s.sentDown = sendControl(main, "dx") == nil
			}
			if s.pid == 0 && s.pipeW != nil {
				s.pipeW.Close()
				s.pipeW = nil
			}
			if s.pidLog != 0 && !s.sentLogExit {
				s.sentLogExit = sendControl(filepath.Join(main, "log"), "x") == nil
			}
			if s.pid != 0 || s.pidLog != 0 {
				running = true
			}
		}
		if !running {
			return cli.ExitOK
		}
		if time.Now().After(deadline) {
			if killing {
				for _, s := range sc.services {
					if s.pid != 0 || s.pidLog != 0 {
						sc.inv.Warn("unable to stop %s: still running", s.name)
					}
				}
				return cli.ExitTemporary
			}
			killing = true
			deadline = time.Now().Add(killGrace)
			for _, s := range sc.services {
				main := filepath.Join(sc.dir, s.name)
				if s.pid != 0 {
					_ = sendControl(main, "dkx")
				}
				if s.pidLog != 0 {
					_ = sendControl(filepath.Join(main, "log"), "dkx")
				}
			}
		}
		select {
		case <-sigs:
		case <-tick.C:
		}
	}
}

// sendControl writes cmds to dir/supervise/control if a supervise reads it.
func sendControl(dir, cmds string) error {
	dfd, err := openDir(dir)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	fd, err := openWriteNB(dfd, "supervise/control")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return writeAll(fd, []byte(cmds))
}
