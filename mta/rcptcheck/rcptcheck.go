// Package rcptcheck is qmail-rcptcheck, the recipient checker that knows
// what qmail-send and qmail-local will do with an address: it routes the
// address with control/locals, virtualdomains and percenthack exactly as
// qmail-send does, finds the user as qmail-lspawn does (users/cdb, then
// the password file, then the alias user), and looks for the .qmail file
// qmail-local would obey. Listed in control/recipients as
// "|qmail-rcptcheck", it lets qmail-smtpd refuse mail for addresses that
// would only bounce.
//
// It speaks the checkpassword interface of control/recipients: the
// address, NUL-terminated, on descriptor 3; exit 0 when it exists, 1 when
// it does not, 2 when it is not local (qmail-remote's business), 111 when
// it cannot tell.
package rcptcheck

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/local"
	"github.com/quail-mta/quail/mta/send"
	"github.com/quail-mta/quail/mta/users"
)

// Exit codes of the recipient-check interface.
const (
	Exists      = 0
	NoMailbox   = 1
	NotOurs     = 2
	CannotTell  = cli.ExitTemporary
	maxAddrRead = 1024
)

// Check decides about addr in the qmail home.
func Check(home, addr string) (int, error) {
	cfg, err := send.ReadConfig(home)
	if err != nil {
		return CannotTell, err
	}
	ch, routed := cfg.Router.Route(addr)
	if ch != send.Local {
		return NotOurs, nil
	}
	localPart, _, _ := send.SplitAddr(routed)
	a, found, err := users.Lookup(home, localPart)
	if err != nil {
		return CannotTell, err
	}
	if !found {
		return NoMailbox, nil
	}
	if a.Ext == "" {
		// The user's own address: .qmail or the default delivery.
		return Exists, nil
	}
	for _, c := range local.Candidates(a.Dash, a.Ext) {
		_, err := os.Stat(filepath.Join(a.Home, c.Name))
		switch {
		case err == nil:
			return Exists, nil
		case errors.Is(err, fs.ErrNotExist):
			continue
		default:
			// A home this program may not look into: accept, and let
			// qmail-local decide, rather than refuse mail wrongly.
			return Exists, nil
		}
	}
	return NoMailbox, nil
}

// Main is qmail-rcptcheck.
func Main(inv *cli.Invocation) int {
	fd3 := os.NewFile(3, "fd3")
	b, err := io.ReadAll(io.LimitReader(fd3, maxAddrRead))
	if err != nil {
		return inv.Fatal(CannotTell, "unable to read descriptor 3: %v", err)
	}
	addr, _, _ := bytes.Cut(b, []byte{0})
	if len(addr) == 0 {
		return inv.Fatal(cli.ExitPermanent, "no address on descriptor 3")
	}
	code, err := Check(qmailhome.Dir(inv.Getenv), strings.TrimSpace(string(addr)))
	if err != nil {
		inv.Warn("unable to check %s: %v", addr, err)
	}
	return code
}
