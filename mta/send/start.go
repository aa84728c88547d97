package send

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/spawn"
)

// DefaultDelivery is qmail-lspawn's default delivery when qmail-start is
// given none, as in qmail.
const DefaultDelivery = "./Mailbox"

// ids is who each daemon runs as; nil credentials keep the invoker's.
type ids struct {
	send, lspawn, rspawn, clean, logger *syscall.Credential
}

func cred(name, group string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// daemonIDs returns qmail's users for the daemons when root runs a
// privileged instance: qmails for qmail-send, root for qmail-lspawn,
// qmailr for qmail-rspawn, qmailq for qmail-clean, all in group qmail,
// and qmaill in group nofiles for the logger. A single-user instance, or
// a non-root invoker, runs everything as the invoker.
func daemonIDs(home string) (ids, error) {
	if os.Getuid() != 0 || qmailhome.SingleUser(home) {
		return ids{}, nil
	}
	var out ids
	var err error
	for _, c := range []struct {
		p           **syscall.Credential
		name, group string
	}{
		{&out.send, "qmails", "qmail"},
		{&out.rspawn, "qmailr", "qmail"},
		{&out.clean, "qmailq", "qmail"},
		{&out.logger, "qmaill", "nofiles"},
	} {
		if *c.p, err = cred(c.name, c.group); err != nil {
			return ids{}, fmt.Errorf("unable to find user %s or group %s: %w", c.name, c.group, err)
		}
	}
	return out, nil
}

// rawPipe makes a pipe whose ends stay out of the Go runtime's poller,
// so that they can be handed on as plain blocking descriptors.
func rawPipe() (r, w int, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// QmailStart is qmail-start(8): it makes the pipes between qmail-send
// and qmail-lspawn, qmail-rspawn and qmail-clean, starts those three (and
// the logger, if one is named) under their users, and becomes
// qmail-send. Its output, or the logger's input, is qmail-send's log.
func QmailStart(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	args := inv.Args[1:]
	deliver := DefaultDelivery
	if len(args) > 0 {
		deliver, args = args[0], args[1:]
	}
	id, err := daemonIDs(home)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	fail := func(what string, err error) int {
		return inv.Fatal(cli.ExitTemporary, "unable to %s: %v", what, err)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fail("open /dev/null", err)
	}
	logW := inv.Stdout
	if len(args) > 0 {
		lr, lw, err := rawPipe()
		if err != nil {
			return fail("make a pipe", err)
		}
		r := os.NewFile(uintptr(lr), "log")
		if err := startDaemon(inv, spawn.Program(home, args[0]), args, r, inv.Stdout, inv.Stdout, id.logger); err != nil {
			return fail("start "+args[0], err)
		}
		r.Close()
		logW = os.NewFile(uintptr(lw), "log")
	}
	// Pipes for the three daemons: qmail-send keeps the write end of each
	// request pipe and the read end of each reply pipe.
	keep := make([]int, 0, 6)
	for _, d := range []struct {
		name string
		args []string
		cred *syscall.Credential
	}{
		{"qmail-lspawn", []string{"qmail-lspawn", deliver}, id.lspawn},
		{"qmail-rspawn", []string{"qmail-rspawn"}, id.rspawn},
		{"qmail-clean", []string{"qmail-clean"}, id.clean},
	} {
		reqR, reqW, err := rawPipe()
		if err != nil {
			return fail("make a pipe", err)
		}
		repR, repW, err := rawPipe()
		if err != nil {
			return fail("make a pipe", err)
		}
		in, out := os.NewFile(uintptr(reqR), "req"), os.NewFile(uintptr(repW), "rep")
		if err := startDaemon(inv, spawn.Program(home, d.name), d.args, in, out, logW, d.cred); err != nil {
			return fail("start "+d.name, err)
		}
		in.Close()
		out.Close()
		keep = append(keep, reqW, repR)
	}
	// The kept ends must survive the exec; they keep their numbers, which
	// qmail-send learns from the environment.
	names := make([]string, len(keep))
	for i, fd := range keep {
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); e != 0 {
			return fail("set up descriptors", e)
		}
		names[i] = strconv.Itoa(fd)
	}
	if err := syscall.Dup3(int(logW.Fd()), 2, 0); err != nil {
		return fail("set up the log", err)
	}
	if err := syscall.Dup3(int(devnull.Fd()), 0, 0); err != nil {
		return fail("set up descriptors", err)
	}
	if c := id.send; c != nil {
		if err := syscall.Setgroups(nil); err != nil {
			return fail("drop groups", err)
		}
		if err := syscall.Setgid(int(c.Gid)); err != nil {
			return fail("set gid", err)
		}
		if err := syscall.Setuid(int(c.Uid)); err != nil {
			return fail("set uid", err)
		}
	}
	env := cli.Setenv(inv.Env, FdsEnv, strings.Join(names, ","))
	prog := spawn.Program(home, "qmail-send")
	err = syscall.Exec(prog, []string{"qmail-send"}, env)
	return fail("run "+prog, err)
}

func startDaemon(inv *cli.Invocation, prog string, args []string, in, out, errw *os.File, c *syscall.Credential) error {
	p, err := os.StartProcess(prog, args, &os.ProcAttr{
		Env:   inv.Env,
		Files: []*os.File{in, out, errw},
		Sys:   &syscall.SysProcAttr{Credential: c},
	})
	if err != nil {
		return err
	}
	// qmail-send, which this process becomes, is their parent.
	return p.Release()
}
