package chain

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// fghackCopies is how many descriptors of the pipe's write end the child
// gets: the one pipe(2) returned plus the original's 30 dup(2)s.
const fghackCopies = 31

// Fghack runs fghack(8): fghack child. It runs child with many copies of a
// pipe's write end and waits until every copy is closed, which happens
// only when child and every process it left in the background have exited
// (or closed them). It then exits with child's exit code, 111 if child was
// killed by a signal or could not be run, 100 on a usage error.
//
// The child finds the write end on the descriptors where the original's
// child has it; see fghackLayout.
func Fghack(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("child")
	}
	argv := inv.Args[1:]
	path, err := lookPath(argv[0], inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create pipe: %s", djberr.Text(err))
	}
	defer r.Close()
	var extra []*os.File
	for i, slot := range fghackLayout(inheritedFds()) {
		switch slot {
		case slotPipe:
			extra = append(extra, w)
		case slotInherited:
			extra = append(extra, os.NewFile(uintptr(3+i), "inherited"))
		default:
			extra = append(extra, nil)
		}
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: inv.Env, Stderr: inv.Stderr, ExtraFiles: extra}
	if inv.Stdin != nil {
		cmd.Stdin = inv.Stdin
	}
	if inv.Stdout != nil {
		cmd.Stdout = inv.Stdout
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
	}
	// Anything written to the pipe is discarded; only its end matters.
	var buf [512]byte
	for {
		if _, err := r.Read(buf[:]); err != nil {
			break
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return inv.Fatal(cli.ExitTemporary, "wait failed: %s", djberr.Text(err))
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return inv.Fatal(cli.ExitTemporary, "child crashed")
	}
	return ws.ExitStatus()
}

// fghackLayout returns the child's descriptors from 3 up (exec.Cmd's
// ExtraFiles) as the original's child has them. There pipe(2) takes the two
// lowest free descriptors, the child closes the read end and each dup(2)
// takes the lowest free one, so the copies fill the gaps between the
// descriptors the program inherited (which stay where they are). Started
// with only 0, 1 and 2 open, the copies are 3 to 33.
func fghackLayout(inherited map[int]bool) []fdSlot {
	used := map[int]bool{0: true, 1: true, 2: true}
	for fd := range inherited {
		used[fd] = true
	}
	lowest := func() int {
		fd := 0
		for used[fd] {
			fd++
		}
		used[fd] = true
		return fd
	}
	r := lowest()
	copies := []int{lowest()}
	delete(used, r)
	for len(copies) < fghackCopies {
		copies = append(copies, lowest())
	}
	top := 0
	for _, fd := range copies {
		top = max(top, fd)
	}
	slots := make([]fdSlot, top-2)
	for fd := range inherited {
		if fd <= top {
			slots[fd-3] = slotInherited
		}
	}
	for _, fd := range copies {
		slots[fd-3] = slotPipe
	}
	return slots
}

// fdSlot says what a child's descriptor (3 and up) is.
type fdSlot int

const (
	slotClosed    fdSlot = iota
	slotPipe             // a copy of the pipe's write end
	slotInherited        // what the program itself inherited there
)

// inheritedFds lists the descriptors above 2 that a child would inherit:
// those open without close-on-exec. The runtime's own and the pipe are
// close-on-exec and so not among them.
func inheritedFds() map[int]bool {
	fds := map[int]bool{}
	names, err := readDirNames("/proc/self/fd")
	if err != nil {
		return fds
	}
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd < 3 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			fds[fd] = true
		}
	}
	return fds
}

func readDirNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
