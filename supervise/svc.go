package supervise

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
)

// svcLetters are the options svc accepts: daemontools 0.76's set, then the
// signals daemontools-encore and runit added (QUIT, USR1, USR2, WINCH).
const svcLetters = "udopchaitkxq12w"

// maxCommands caps the bytes svc writes in one go, as 0.76 does; with each
// letter at most once the cap is never reached.
const maxCommands = 20

const svcOptions = "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill, q quit, 1 usr1, 2 usr2, w winch"

// Svc implements svc(8): it writes the command letters given as options, in
// order and each once, to supervise/control of every directory named.
// Problems with a directory are warnings; like daemontools' svc it exits 0
// unless the options are wrong (100).
func Svc(inv *cli.Invocation) int {
	p := getopt.New(inv.Args, svcLetters)
	var cmds []byte
	for {
		c, _, ok, err := p.Next()
		if !ok {
			break
		}
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n%s\n", inv.Name, err, svcOptions)
			return cli.ExitPermanent
		}
		if len(cmds) < maxCommands && bytes.IndexByte(cmds, c) < 0 {
			cmds = append(cmds, c)
		}
	}
	for _, dir := range p.Rest() {
		if err := control(dir, cmds); err != nil {
			inv.Warn("%v", err)
		}
	}
	return cli.ExitOK
}

// control writes cmds to dir/supervise/control in one write. The errors it
// returns are worded as svc's warnings.
func control(dir string, cmds []byte) error {
	dfd, err := openDir(dir)
	if err != nil {
		return fmt.Errorf("unable to chdir to %s: %s", dir, djberr.Text(err))
	}
	defer unix.Close(dfd)
	fd, err := openWriteNB(dfd, "supervise/control")
	if errors.Is(err, unix.ENXIO) {
		return fmt.Errorf("unable to control %s: supervise not running", dir)
	}
	if err != nil {
		return fmt.Errorf("unable to control %s: %s", dir, djberr.Text(err))
	}
	defer unix.Close(fd)
	if err := writeAll(fd, cmds); err != nil {
		return fmt.Errorf("error writing commands to %s: %s", dir, djberr.Text(err))
	}
	return nil
}
