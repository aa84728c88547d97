// Package supervise implements daemontools' process supervision: the
// supervise(8) and svscan(8) daemons and their clients svc(8), svok(8),
// svstat(8), plus svwait(8), which daemontools lacks.
//
// The interface between them is daemontools 0.76's, on disk and byte for
// byte, so that daemontools' own clients drive quail's supervise and quail's
// clients drive daemontools' supervise: in the service directory, supervise
// creates supervise/ (mode 0700) holding lock (flock'd while supervise
// runs), the FIFOs control (one command byte each, see svc) and ok (open for
// reading while supervise runs), and status, the 18-byte record of package
// status, replaced through status.new and rename.
//
// Additions, none of which changes that interface: the command letters q, 1,
// 2 and w (QUIT, USR1, USR2, WINCH); readiness notification as in s6 (a file
// notification-fd names the descriptor on which the daemon writes a newline
// once it is ready; supervise records the moment in supervise/ready); svscan
// stops every service and exits on SIGTERM, and rescans at once on SIGALRM.
//
// Each program's entry point returns its exit code; the commands in cmd/
// only hand it the invocation.
package supervise

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/supervise/status"
	"github.com/quail-mta/quail/tai64"
)

// PauseEnv names the environment variable that shortens the pause between
// two starts of ./run (milliseconds, 10 to 60000). It exists so that tests
// can restart a service a hundred times in seconds; daemontools always
// pauses one second, and so does supervise when the variable is unset.
const PauseEnv = "QUAIL_SUPERVISE_PAUSE_MS"

const (
	defaultPause = time.Second
	forkPause    = 60 * time.Second // after fork itself failed, as 0.76
)

// Supervise implements supervise(8): supervise dir.
func Supervise(inv *cli.Invocation) int {
	if len(inv.Args) != 2 {
		return inv.Usage("dir")
	}
	s := &supervisor{
		inv:   inv,
		dir:   inv.Args[1],
		env:   inv.Env,
		pause: pauseFrom(inv),
		stdio: stdioOf(inv),
	}
	return s.run()
}

func pauseFrom(inv *cli.Invocation) time.Duration {
	v, ok := inv.Getenv(PauseEnv)
	if !ok {
		return defaultPause
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 10 || ms > 60000 {
		inv.Warn("ignoring %s=%s: not a number of milliseconds from 10 to 60000", PauseEnv, v)
		return defaultPause
	}
	return time.Duration(ms) * time.Millisecond
}

// stdioOf gives the child the invocation's descriptors 0, 1, 2.
func stdioOf(inv *cli.Invocation) [3]uintptr {
	fds := [3]uintptr{0, 1, 2}
	if inv.Stdin != nil {
		fds[0] = inv.Stdin.Fd()
	}
	if inv.Stdout != nil {
		fds[1] = inv.Stdout.Fd()
	}
	if f, ok := inv.Stderr.(*os.File); ok {
		fds[2] = f.Fd()
	}
	return fds
}

// supervisor is the state of one supervise process; the field comments give
// daemontools' names.
type supervisor struct {
	inv   *cli.Invocation
	dir   string
	env   []string
	pause time.Duration
	stdio [3]uintptr

	pid    int         // pid of ./run, 0 when down
	stamp  tai64.Label // when pid last changed
	want   bool        // flagwant: false after svc -o
	wantUp bool        // flagwantup
	paused bool        // flagpaused
	exit   bool        // flagexit: leave once the service is down

	// A start that has been asked for but must wait until notBefore, one
	// pause after the previous start.
	startPending bool
	notBefore    time.Time
	timer        *time.Timer

	gen       int      // counts starts, to tell stale readiness reports
	readyPipe *os.File // read end of the notification pipe, while open

	control  chan byte
	sigchld  chan os.Signal
	readyCh  chan int
	quit     chan struct{}
	fdLock   *os.File
	fdWrite  *os.File // our own write end of control, so it never sees EOF
	fdOK     *os.File
	fdRdCtrl *os.File
}

func (s *supervisor) path(name string) string { return filepath.Join(s.dir, name) }

func (s *supervisor) run() int {
	s.want, s.wantUp = true, true
	s.control = make(chan byte)
	s.sigchld = make(chan os.Signal, 1)
	s.readyCh = make(chan int)
	s.quit = make(chan struct{})
	s.timer = time.NewTimer(time.Hour)
	s.timer.Stop()
	defer s.timer.Stop()
	// Catch SIGCHLD before the first child can exist.
	signal.Notify(s.sigchld, syscall.SIGCHLD)
	defer signal.Stop(s.sigchld)
	defer close(s.quit)

	if fi, err := os.Stat(s.dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = syscall.ENOTDIR
		}
		return s.inv.Fatal(cli.ExitTemporary, "unable to chdir to %s: %s", s.dir, djberr.Text(err))
	}
	if _, err := os.Stat(s.path("down")); err == nil {
		s.wantUp = false
	} else if !errors.Is(err, os.ErrNotExist) {
		return s.inv.Fatal(cli.ExitTemporary, "unable to stat %s/down: %s", s.dir, djberr.Text(err))
	}
	if code := s.setup(); code != 0 {
		return code
	}
	defer s.closeAll()

	if !s.want || s.wantUp {
		s.requestStart()
	}
	s.loop()
	s.announce()
	return cli.ExitOK
}

// setup creates supervise/ and takes the lock and the FIFOs, in 0.76's
// order and with its messages.
func (s *supervisor) setup() int {
	_ = os.Mkdir(s.path(status.Dir), 0700)
	lock, err := os.OpenFile(s.path("supervise/lock"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0600)
	if err == nil {
		err = flockExNB(lock)
		if err != nil {
			lock.Close()
		}
	}
	if err != nil {
		return s.inv.Fatal(cli.ExitTemporary, "unable to acquire %s/supervise/lock: %s", s.dir, djberr.Text(err))
	}
	s.fdLock = lock

	if err := mkfifo(s.path("supervise/control")); err != nil {
		s.closeAll()
		return s.inv.Fatal(cli.ExitTemporary, "unable to create %s/supervise/control: %s", s.dir, djberr.Text(err))
	}
	rd, err := openFIFO(s.path("supervise/control"), unix.O_RDONLY)
	if err != nil {
		s.closeAll()
		return s.inv.Fatal(cli.ExitTemporary, "unable to read %s/supervise/control: %s", s.dir, djberr.Text(err))
	}
	s.fdRdCtrl = rd
	wr, err := openFIFO(s.path("supervise/control"), unix.O_WRONLY)
	if err != nil {
		s.closeAll()
		return s.inv.Fatal(cli.ExitTemporary, "unable to write %s/supervise/control: %s", s.dir, djberr.Text(err))
	}
	s.fdWrite = wr

	if err := mkfifo(s.path("supervise/ok")); err != nil {
		s.closeAll()
		return s.inv.Fatal(cli.ExitTemporary, "unable to create %s/supervise/ok: %s", s.dir, djberr.Text(err))
	}
	// status is written before ok opens, so whoever sees supervise running
	// also finds a status record.
	s.pidchange()
	s.announce()
	ok, err := openFIFO(s.path("supervise/ok"), unix.O_RDONLY)
	if err != nil {
		s.closeAll()
		return s.inv.Fatal(cli.ExitTemporary, "unable to read %s/supervise/ok: %s", s.dir, djberr.Text(err))
	}
	s.fdOK = ok
	go s.readControl(rd)
	return 0
}

func (s *supervisor) closeAll() {
	for _, f := range []*os.File{s.fdRdCtrl, s.fdWrite, s.fdOK, s.fdLock, s.readyPipe} {
		if f != nil {
			f.Close()
		}
	}
	s.fdRdCtrl, s.fdWrite, s.fdOK, s.fdLock, s.readyPipe = nil, nil, nil, nil, nil
}

// readControl turns the control FIFO into a channel of command bytes. It
// ends when the FIFO is closed, which happens as supervise returns.
func (s *supervisor) readControl(f *os.File) {
	buf := make([]byte, 64)
	for {
		n, err := f.Read(buf)
		for _, c := range buf[:n] {
			select {
			case s.control <- c:
			case <-s.quit:
				return
			}
		}
		if err != nil {
			return
		}
	}
}
