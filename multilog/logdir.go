package multilog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/tai64"
)

// writeChunk is how many committed bytes a directory collects before it
// writes them, when input keeps coming; otherwise it writes whenever
// multilog is about to wait for input.
const writeChunk = 64 << 10

// logDir is one automatically rotated log directory.
type logDir struct {
	cfg    DirConfig
	env    []string
	stderr io.Writer
	warn   func(format string, a ...any)
	sleep  func(time.Duration)

	dirfd  int
	lockfd int
	cur    int // current, open for appending

	bytes    uint64 // what 0.76 would have written to current by now
	out      []byte // not yet on disk: committed bytes, then vp buffered ones
	vp       int    // bytes in 0.76's 512-byte buffer (the tail of out)
	selected bool   // the line being handled goes here
	since    time.Time
}

// openLogDir does what 0.76 does on start (restart in multilog.c): create
// and lock the directory, resume a current that was closed cleanly (mode
// 0744), otherwise archive what an interrupted run left: processed as .s
// when its processor had finished, previous and current as .u.
func openLogDir(cfg DirConfig, env []string, stderr io.Writer, warn func(string, ...any)) (*logDir, error) {
	d := &logDir{cfg: cfg, env: env, stderr: stderr, warn: warn, sleep: time.Sleep, dirfd: -1, lockfd: -1, cur: -1}
	_ = unix.Mkdir(cfg.Path, 0700) // an existing directory is fine; the open says whether it is usable
	fd, err := unix.Open(cfg.Path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, djberr.Wrap("unable to open directory "+cfg.Path, err)
	}
	d.dirfd = fd
	lfd, err := unix.Openat(fd, "lock", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0600)
	if err == nil {
		d.lockfd = lfd
		err = unix.Flock(lfd, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		d.closeFds()
		return nil, djberr.Wrap("unable to lock directory "+cfg.Path, err)
	}
	if err := d.restart(); err != nil {
		d.closeFds()
		return nil, err
	}
	return d, nil
}

func (d *logDir) restart() error {
	var st unix.Stat_t
	err := unix.Fstatat(d.dirfd, "current", &st, 0)
	switch {
	case err == nil && st.Mode&0100 != 0:
		fd, err := unix.Openat(d.dirfd, "current", unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0)
		if err != nil {
			return djberr.Wrap("unable to append to "+d.cfg.Path+"/current", err)
		}
		d.cur = fd
		if err := unix.Fchmod(fd, 0644); err != nil {
			return djberr.Wrap("unable to set mode of "+d.cfg.Path+"/current", err)
		}
		d.bytes = uint64(st.Size)
		if d.bytes > 0 {
			d.since = time.Now()
		}
		return nil
	case err != nil && !errors.Is(err, unix.ENOENT):
		return djberr.Wrap("unable to stat "+d.cfg.Path+"/current", err)
	}

	_ = unix.Unlinkat(d.dirfd, "state", 0)
	_ = unix.Unlinkat(d.dirfd, "newstate", 0)
	processed := false
	if err := unix.Fstatat(d.dirfd, "processed", &st, 0); err == nil {
		processed = st.Mode&0100 != 0
	} else if !errors.Is(err, unix.ENOENT) {
		return djberr.Wrap("unable to stat "+d.cfg.Path+"/processed", err)
	}
	if processed {
		// The processor had finished: its output is the archive.
		_ = unix.Unlinkat(d.dirfd, "previous", 0)
		d.finish("processed", 's')
	} else {
		_ = unix.Unlinkat(d.dirfd, "processed", 0)
		d.finish("previous", 'u')
	}
	d.finish("current", 'u')

	fd, err := unix.Openat(d.dirfd, "state", unix.O_WRONLY|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0644)
	if err != nil {
		return djberr.Wrap("unable to write to "+d.cfg.Path+"/state", err)
	}
	unix.Close(fd)
	fd, err = unix.Openat(d.dirfd, "current", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0644)
	if err != nil {
		return djberr.Wrap("unable to write to "+d.cfg.Path+"/current", err)
	}
	d.cur = fd
	if err := unix.Fchmod(fd, 0644); err != nil {
		return djberr.Wrap("unable to set mode of "+d.cfg.Path+"/current", err)
	}
	d.bytes = 0
	return nil
}

func (d *logDir) closeFds() {
	for _, fd := range []int{d.cur, d.lockfd, d.dirfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	d.cur, d.lockfd, d.dirfd = -1, -1, -1
}

// pause reports a failed step and waits before it is tried again; the
// caller loops until the step succeeds, so nothing is ever dropped.
func (d *logDir) pause(err error, format string, a ...any) {
	d.warn("%s, pausing: %s", fmt.Sprintf(format, a...), djberr.Text(err))
	d.sleep(d.cfg.Cooldown)
}

// writeOut puts p at the end of current, however long the disk refuses.
func (d *logDir) writeOut(p []byte) {
	for len(p) > 0 {
		n, err := unix.Write(d.cur, p)
		if n > 0 {
			p = p[n:]
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		d.pause(err, "unable to write to %s/current", d.cfg.Path)
	}
}

// fullcurrent rotates: current becomes previous, a new current is
// started, and previous is archived, through the processor if there is one.
func (d *logDir) fullcurrent() {
	for {
		err := unix.Fsync(d.cur)
		if err == nil {
			break
		}
		d.pause(err, "unable to write %s/current to disk", d.cfg.Path)
	}
	unix.Close(d.cur)
	d.cur = -1
	for {
		err := unix.Renameat(d.dirfd, "current", d.dirfd, "previous")
		if err == nil {
			break
		}
		d.pause(err, "unable to rename current to previous in directory %s", d.cfg.Path)
	}
	for {
		fd, err := unix.Openat(d.dirfd, "current", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0644)
		if err == nil {
			d.cur = fd
			break
		}
		d.pause(err, "unable to create %s/current", d.cfg.Path)
	}
	d.bytes = 0
	d.since = time.Time{}
	for {
		err := unix.Fchmod(d.cur, 0644)
		if err == nil {
			break
		}
		d.pause(err, "unable to set mode of %s/current", d.cfg.Path)
	}
	for {
		err := unix.Fchmodat(d.dirfd, "previous", 0744, 0)
		if err == nil {
			break
		}
		d.pause(err, "unable to set mode of %s/previous", d.cfg.Path)
	}
	if d.cfg.Processor == "" {
		d.finish("previous", 's')
		return
	}
	d.process()
}

// process runs the processor until it succeeds, then makes its output
// the archive and its fd 5 the next state, in 0.76's order, so that a
// crash at any step is recovered by restart.
func (d *logDir) process() {
	for !d.runProcessor() {
	}
	d.syncFile("processed", 0744)
	d.syncFile("newstate", 0)
	for {
		err := unix.Unlinkat(d.dirfd, "previous", 0)
		if err == nil {
			break
		}
		d.pause(err, "unable to remove %s/previous", d.cfg.Path)
	}
	for {
		err := unix.Renameat(d.dirfd, "newstate", d.dirfd, "state")
		if err == nil {
			break
		}
		d.pause(err, "unable to rename newstate to state in directory %s", d.cfg.Path)
	}
	d.finish("processed", 's')
}

// syncFile creates name if needed, writes it to disk and, when mode is
// not 0, sets its mode.
func (d *logDir) syncFile(name string, mode uint32) {
	var fd int
	for {
		var err error
		fd, err = unix.Openat(d.dirfd, name, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0644)
		if err == nil {
			break
		}
		d.pause(err, "unable to create %s/%s", d.cfg.Path, name)
	}
	defer unix.Close(fd)
	for {
		err := unix.Fsync(fd)
		if err == nil {
			break
		}
		d.pause(err, "unable to write %s/%s to disk", d.cfg.Path, name)
	}
	for mode != 0 {
		err := unix.Fchmod(fd, mode)
		if err == nil {
			break
		}
		d.pause(err, "unable to set mode of %s/%s", d.cfg.Path, name)
	}
}

// runProcessor runs sh -c processor once in the directory with stdin
// previous, stdout processed, fd 4 state and fd 5 newstate, and reports
// whether it exited 0; on failure it has already paused.
func (d *logDir) runProcessor() bool {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, o := range []struct {
		name  string
		flags int
	}{
		{"previous", unix.O_RDONLY},
		{"processed", unix.O_WRONLY | unix.O_TRUNC | unix.O_CREAT},
		{"state", unix.O_RDONLY},
		{"newstate", unix.O_WRONLY | unix.O_TRUNC | unix.O_CREAT},
	} {
		fd, err := unix.Openat(d.dirfd, o.name, o.flags|unix.O_CLOEXEC, 0644)
		if err != nil {
			d.pause(err, "unable to open %s/%s for processor", d.cfg.Path, o.name)
			return false
		}
		files = append(files, os.NewFile(uintptr(fd), o.name))
	}
	cmd := &exec.Cmd{
		Path:       "/bin/sh",
		Args:       []string{"sh", "-c", d.cfg.Processor},
		Env:        d.env,
		Dir:        d.cfg.Path,
		Stdin:      files[0],
		Stdout:     files[1],
		Stderr:     d.stderr,
		ExtraFiles: []*os.File{nil, files[2], files[3]}, // fds 3 (closed), 4, 5
	}
	err := cmd.Run()
	if err == nil {
		return true
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.Exited():
		d.warn("processor failed in %s, pausing", d.cfg.Path)
		d.sleep(d.cfg.Cooldown)
	case errors.As(err, &ee):
		d.pause(err, "processor crashed in %s", d.cfg.Path)
	default:
		d.pause(err, "unable to run processor in %s", d.cfg.Path)
	}
	return false
}

// finish archives file under a fresh label with the suffix code, unless
// it is gone, then trims the archives to the configured limits.
func (d *logDir) finish(file string, code byte) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(d.dirfd, file, &st, 0)
		if err == nil {
			break
		}
		if errors.Is(err, unix.ENOENT) {
			return
		}
		d.pause(err, "unable to stat %s/%s", d.cfg.Path, file)
	}
	// A second link means an earlier attempt linked it already and died
	// before the unlink: that archive exists.
	if st.Nlink == 1 {
		for {
			name := string(append(tai64.Now().AppendText(nil), '.', code))
			err := unix.Linkat(d.dirfd, file, d.dirfd, name, 0)
			if err == nil {
				break
			}
			d.pause(err, "unable to link to %s/%s", d.cfg.Path, name)
		}
	}
	for {
		err := unix.Unlinkat(d.dirfd, file, 0)
		if err == nil {
			break
		}
		d.pause(err, "unable to remove %s/%s", d.cfg.Path, file)
	}
	for {
		err := d.trim()
		if err == nil {
			break
		}
		d.pause(err, "unable to read %s", d.cfg.Path)
	}
}

type archive struct {
	name string
	size uint64
}

// trim removes the oldest archives while there are n or more of them, as
// 0.76 does (so n10 keeps nine), and, when S is set, while they hold more
// than S bytes; the newest archive is never removed for S.
func (d *logDir) trim() error {
	list, err := d.archives()
	if err != nil {
		return err
	}
	var total uint64
	for _, a := range list {
		total += a.size
	}
	for len(list) > 0 && (uint64(len(list)) >= d.cfg.Num ||
		(d.cfg.TotalCap > 0 && total > d.cfg.TotalCap && len(list) > 1)) {
		if err := unix.Unlinkat(d.dirfd, list[0].name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
		total -= list[0].size
		list = list[1:]
	}
	return nil
}

// archives lists the files 0.76 counts as archives (a name starting with
// @ and at least 25 bytes long), oldest first.
func (d *logDir) archives() ([]archive, error) {
	fd, err := unix.Openat(d.dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), d.cfg.Path)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	var list []archive
	for _, n := range names {
		if len(n) < 25 || n[0] != '@' {
			continue
		}
		a := archive{name: n}
		if d.cfg.TotalCap > 0 {
			var st unix.Stat_t
			if err := unix.Fstatat(d.dirfd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
				a.size = uint64(st.Size)
			}
		}
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list, nil
}

// close ends the run as 0.76 does at the end of input: everything
// written, current on disk and marked clean with mode 0744.
func (d *logDir) close() {
	d.flush()
	d.drain()
	for {
		err := unix.Fsync(d.cur)
		if err == nil {
			break
		}
		d.pause(err, "unable to write %s/current to disk", d.cfg.Path)
	}
	for {
		err := unix.Fchmod(d.cur, 0744)
		if err == nil {
			break
		}
		d.pause(err, "unable to set mode of %s/current", d.cfg.Path)
	}
	d.closeFds()
}
