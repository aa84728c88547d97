package stdio

import (
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
)

// relaySuffix marks the helper process in its argv[0] ("recordio:relay"),
// a name no one types, so a user's argument can never select the mode.
const relaySuffix = ":relay"

// Descriptors the helper gets besides 0, 1 and 2.
const (
	fdToProgram   = 3 // write end of the program's standard input
	fdFromProgram = 4 // read end of the program's standard output
)

// isRelay reports whether inv is the copy helper of the named tool.
func isRelay(inv *cli.Invocation, tool string) bool {
	return len(inv.Args) == 2 && inv.Args[0] == tool+relaySuffix
}

// runBehind puts a copy helper between the client and the program named by
// inv.Args[1:], then execs the program in place of this process, with its
// standard input and output on pipes to the helper. It returns only on
// failure.
func runBehind(inv *cli.Invocation, tool string) int {
	stderr, ok := inv.Stderr.(*os.File)
	if !ok {
		return inv.Fatal(cli.ExitTemporary, "unable to start helper: standard error is not a file")
	}
	progIn, toProg, err := os.Pipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create pipe: %s", djberr.Text(err))
	}
	fromProg, progOut, err := os.Pipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create pipe: %s", djberr.Text(err))
	}
	helper := &exec.Cmd{
		Path: selfPath(),
		Args: []string{tool + relaySuffix, strconv.Itoa(os.Getpid())},
		// One helper runs per connection: keep its runtime small.
		Env:        []string{"GOMAXPROCS=1"},
		Stdin:      inv.Stdin,
		Stdout:     inv.Stdout,
		Stderr:     stderr,
		ExtraFiles: []*os.File{toProg, fromProg},
	}
	if err := helper.Start(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to start helper: %s", djberr.Text(err))
	}
	// The helper is never waited for: once the program has taken this
	// process over, the helper ends when both directions are done.
	helper.Process.Release()
	toProg.Close()
	fromProg.Close()
	if err := unix.Dup3(int(progIn.Fd()), 0, 0); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to move descriptor: %s", djberr.Text(err))
	}
	if err := unix.Dup3(int(progOut.Fd()), 1, 0); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to move descriptor: %s", djberr.Text(err))
	}
	progIn.Close()
	progOut.Close()
	err = pathexec.Exec(inv.Args[1:], inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", inv.Args[1], djberr.Text(err))
}

// selfPath names this binary for the helper; /proc/self/exe works even
// when the file has been replaced since it started.
func selfPath() string {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe"
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "/proc/self/exe"
}

// direction is one way of the copy: what is read, what it is written to,
// and what happens to each chunk on the way.
type direction struct {
	src     io.ReadCloser
	dst     io.WriteCloser
	bufSize int
	convert func(dst, src []byte) []byte // nil: copy unchanged
	onRead  func(chunk []byte)           // nil: nothing
	onEOF   func()                       // nil: nothing
}

// run copies until end of input (then closes the destination, so the other
// side sees end of file) or until the destination refuses a write (the
// reader has gone; the direction stops).
func (d direction) run() {
	buf := make([]byte, d.bufSize)
	var out []byte
	defer d.src.Close()
	defer d.dst.Close()
	for {
		n, err := d.src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if d.onRead != nil {
				d.onRead(chunk)
			}
			if d.convert != nil {
				out = d.convert(out[:0], chunk)
				chunk = out
			}
			if _, werr := d.dst.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			// 0.88 records any failed read as the end of input.
			if d.onEOF != nil {
				d.onEOF()
			}
			return
		}
	}
}

// relay runs both directions of the helper and returns when both are done.
func relay(left, right direction) int {
	// A client or program that goes away must give EPIPE, not kill us.
	signal.Ignore(syscall.SIGPIPE)
	var wg sync.WaitGroup
	for _, d := range []direction{left, right} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run()
		}()
	}
	wg.Wait()
	return cli.ExitOK
}

// helperFiles returns the helper's pipes to and from the program.
func helperFiles() (toProg, fromProg *os.File) {
	return os.NewFile(fdToProgram, "program input"), os.NewFile(fdFromProgram, "program output")
}

// validPid checks the helper's pid argument.
func validPid(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
