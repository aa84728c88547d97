package passwd

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
)

// Exit codes of the checkpassword interface.
const (
	ExitBad    = 1 // the login is refused
	ExitMisuse = 2 // the caller broke the interface
	// ExitCannotCheck: the login is of a kind this checker cannot check
	// (checkpw.ExitCannotCheck), such as a CRAM-MD5 response for an
	// entry that holds only a crypt hash.
	ExitCannotCheck = 2
	ExitTemporary   = 111 // try again later
)

// Account is who the subprogram runs as once a login is good.
type Account struct {
	Name  string
	UID   int // -1: stay whoever runs the checker
	GID   int
	Home  string
	Shell string // set as $SHELL when not empty
	// Stay: never change user, whatever UID says (a single-user qmail
	// home, where everything runs as the invoking user, root included).
	Stay bool
}

// errRefused is a login that is good but cannot be carried out here; it
// is answered like a bad password.
type errRefused struct{ msg string }

func (e *errRefused) Error() string { return e.msg }

// switchUser becomes acct. As root it sets the groups, gid and uid (and
// refuses uid 0: nobody reads mail as root); otherwise it can only carry
// on as itself, so acct must be the invoking user or leave the ids open.
func switchUser(acct Account) error {
	if acct.Stay {
		return nil
	}
	euid := os.Geteuid()
	if euid != 0 {
		if acct.UID < 0 || acct.UID == euid && acct.GID == os.Getegid() {
			return nil
		}
		return &errRefused{fmt.Sprintf("unable to switch to uid %d for %s: not running as root", acct.UID, acct.Name)}
	}
	if acct.UID < 0 {
		return fmt.Errorf("refusing to run %s as root: the entry gives no uid", acct.Name)
	}
	if acct.UID == 0 {
		return &errRefused{fmt.Sprintf("refusing a login as %s with uid 0", acct.Name)}
	}
	if err := syscall.Setgroups([]int{acct.GID}); err != nil {
		return fmt.Errorf("unable to set groups: %w", err)
	}
	if err := syscall.Setgid(acct.GID); err != nil {
		return fmt.Errorf("unable to set gid: %w", err)
	}
	if err := syscall.Setuid(acct.UID); err != nil {
		return fmt.Errorf("unable to set uid: %w", err)
	}
	return nil
}

// enter runs the subprogram as acct in its home directory, with USER,
// HOME (and SHELL) set; without login only USER is set and the process
// stays who and where it is. It returns only on failure, with an exit
// code.
func enter(inv *cli.Invocation, acct Account, sub []string, login bool) int {
	if !login {
		err := pathexec.Exec(sub, cli.Setenv(inv.Env, "USER", acct.Name))
		return inv.Fatal(ExitTemporary, "unable to run %s: %s", sub[0], djberr.QmailText(err))
	}
	if err := switchUser(acct); err != nil {
		var r *errRefused
		if errors.As(err, &r) {
			inv.Warn("%v", err)
			return ExitBad
		}
		return inv.Fatal(ExitTemporary, "%v", err)
	}
	if err := os.Chdir(acct.Home); err != nil {
		return inv.Fatal(ExitTemporary, "unable to chdir to %s: %s", acct.Home, djberr.QmailText(err))
	}
	env := cli.Setenv(inv.Env, "USER", acct.Name)
	env = cli.Setenv(env, "HOME", acct.Home)
	if acct.Shell != "" {
		env = cli.Setenv(env, "SHELL", acct.Shell)
	}
	err := pathexec.Exec(sub, env)
	return inv.Fatal(ExitTemporary, "unable to run %s: %s", sub[0], djberr.QmailText(err))
}

// readFD3 reads the login from descriptor 3.
func readFD3(inv *cli.Invocation) (Input, int) {
	f := os.NewFile(3, "fd3")
	if f == nil {
		return Input{}, inv.Fatal(ExitMisuse, "unable to read descriptor 3: not open")
	}
	in, err := ReadInput(f)
	f.Close()
	if errors.Is(err, ErrMisuse) {
		return Input{}, ExitMisuse
	}
	if errors.Is(err, ErrTooLong) {
		return Input{}, ExitBad
	}
	if err != nil {
		return Input{}, inv.Fatal(ExitMisuse, "unable to read descriptor 3: %s", djberr.QmailText(err))
	}
	return in, 0
}
