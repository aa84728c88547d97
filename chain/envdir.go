package chain

import (
	"bytes"
	"os"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// Envdir runs envdir(8): envdir d child.
//
// For every entry of d whose name does not start with '.', in directory
// order: an empty file removes the variable; otherwise the variable is set
// to the file's first line, less trailing spaces and tabs, with each NUL
// turned into a newline. Every failure, the usage error included, exits
// 111, as in the original.
func Envdir(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.UsageCode(cli.ExitTemporary, "dir child")
	}
	dir, argv := inv.Args[1], inv.Args[2:]
	edits, err := readEnvDir(dir)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	err = execChild(argv, inv.Env, applyEnv(inv.Env, edits))
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}

// readEnvDir returns the environment edits (see applyEnv) that the
// directory asks for. It goes the original's way, whose steps each have
// their message: it opens the working directory to come back to, changes
// to dir (a missing, unsearchable or looping dir fails here), reads "."
// (an unreadable dir fails there), reads each file by its bare name and
// changes back.
func readEnvDir(dir string) ([]string, error) {
	orig, err := openNonblock(".")
	if err != nil {
		return nil, djberr.Wrap("unable to switch to current directory", err)
	}
	defer syscall.Close(orig)
	if err := syscall.Chdir(dir); err != nil {
		return nil, djberr.Wrap("unable to switch to directory "+dir, err)
	}
	edits, err := readCurrentDir(dir)
	if err2 := syscall.Fchdir(orig); err2 != nil && err == nil {
		err = djberr.Wrap("unable to switch to starting directory", err2)
	}
	return edits, err
}

// readCurrentDir reads the working directory, which is dir, for readEnvDir.
func readCurrentDir(dir string) ([]string, error) {
	d, err := os.OpenFile(".", os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, djberr.Wrap("unable to read directory "+dir, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1) // directory order, as readdir(3) gives it
	if err != nil {
		return nil, djberr.Wrap("unable to read directory "+dir, err)
	}
	var edits []string
	// sa plays the part of the original's single buffer, which keeps its
	// contents when a name vanishes (a dangling symlink) between readdir
	// and open: such an entry gets the previous value again.
	var sa []byte
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		data, found, err := readEnvFile(name, sa[:0])
		if err != nil {
			return nil, djberr.Wrap("unable to read "+dir+"/"+name, err)
		}
		if found {
			sa = data
		}
		if len(sa) == 0 {
			edits = append(edits, name)
			continue
		}
		sa = envValue(sa)
		edits = append(edits, name+"="+string(sa))
		sa = append(sa, 0)
	}
	return edits, nil
}

// envValue makes a variable's value of a non-empty file's bytes, in place:
// the first line, trailing spaces and tabs removed, NUL bytes made newlines
// (a value cannot hold a NUL; the newline is how a file carries a
// multi-line value).
func envValue(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for i, c := range b {
		if c == 0 {
			b[i] = '\n'
		}
	}
	return b
}

// readEnvFile reads the whole of name into buf as the original's
// openreadclose does: opened without blocking (a FIFO without a writer
// reads as empty rather than hanging envdir), found false when the name
// no longer exists.
func readEnvFile(name string, buf []byte) (data []byte, found bool, err error) {
	fd, err := openNonblock(name)
	if err == syscall.ENOENT {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer syscall.Close(fd)
	var chunk [4096]byte
	for {
		n, err := syscall.Read(fd, chunk[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if n == 0 {
			return buf, true, nil
		}
		buf = append(buf, chunk[:n]...)
	}
}

func openNonblock(name string) (int, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
