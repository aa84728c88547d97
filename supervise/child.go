package supervise

import (
	"os"
	"syscall"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/supervise/status"
	"github.com/quail-mta/quail/tai64"
)

// spawn runs ./run in the service directory with supervise's environment
// and descriptors 0-2, plus the notification pipe when notification-fd asks
// for one. Like 0.76 it does not make the child a session leader.
func (s *supervisor) spawn() (int, error) {
	files := []uintptr{s.stdio[0], s.stdio[1], s.stdio[2]}
	var r, w *os.File
	fd, uses, err := status.NotificationFD(s.dir)
	if err != nil {
		s.inv.Warn("unable to read %s/notification-fd: %s", s.dir, djberr.Text(err))
		uses = false
	}
	if uses {
		r, w, err = os.Pipe()
		if err != nil {
			s.inv.Warn("unable to create pipe for %s/notification-fd: %s", s.dir, djberr.Text(err))
			uses = false
		} else {
			for len(files) <= fd {
				files = append(files, ^uintptr(0)) // closed in the child
			}
			files[fd] = w.Fd()
		}
	}
	pid, err := syscall.ForkExec("./run", []string{"./run"}, &syscall.ProcAttr{
		Dir:   s.dir,
		Env:   s.env,
		Files: files,
	})
	if w != nil {
		w.Close()
	}
	if err != nil {
		if r != nil {
			r.Close()
		}
		return 0, err
	}
	s.gen++
	if uses {
		s.readyPipe = r
		go s.watchReady(s.gen, r)
	}
	return pid, nil
}

// watchReady reads the notification pipe of start number gen until the
// first newline (ready), end of file, or the pipe being closed by supervise.
func (s *supervisor) watchReady(gen int, r *os.File) {
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if c == '\n' {
				select {
				case s.readyCh <- gen:
				case <-s.quit:
				}
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *supervisor) becameReady() {
	s.closeReady()
	if err := status.WriteReady(s.dir, tai64.Now()); err != nil {
		s.inv.Warn("unable to write %s/%s: %s", s.dir, status.ReadyName, djberr.Text(err))
	}
}

func (s *supervisor) closeReady() {
	if s.readyPipe != nil {
		s.readyPipe.Close()
		s.readyPipe = nil
	}
}

// pidchange stamps a start or an exit; readiness belongs to one process, so
// any recorded readiness goes.
func (s *supervisor) pidchange() {
	s.stamp = tai64.Now()
	if err := status.RemoveReady(s.dir); err != nil {
		s.inv.Warn("unable to remove %s/%s: %s", s.dir, status.ReadyName, djberr.Text(err))
	}
}

// announce writes the status record.
func (s *supervisor) announce() {
	want := byte(status.WantOnce)
	if s.want {
		want = status.WantDown
		if s.wantUp {
			want = status.WantUp
		}
	}
	st := status.Status{Stamp: s.stamp, PID: s.pid, Paused: s.paused && s.pid != 0, Want: want}
	if err := status.Write(s.dir, st); err != nil {
		s.inv.Warn("unable to write %s/supervise/status: %s", s.dir, djberr.Text(err))
	}
}
