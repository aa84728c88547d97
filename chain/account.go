package chain

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// errUnknownAccount is getpwnam finding nothing.
var errUnknownAccount = errors.New("unknown account")

// lookupAccount finds an account's numeric ids as getpwnam(3) would. The
// programs are built without cgo, so the lookup reads /etc/passwd: accounts
// that exist only in NSS sources (LDAP, sssd) are not found.
func lookupAccount(name string) (uid, gid uint32, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return 0, 0, errUnknownAccount
		}
		return 0, 0, err
	}
	id, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("bad uid for %s: %q", name, u.Uid)
	}
	g, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("bad gid for %s: %q", name, u.Gid)
	}
	return uint32(id), uint32(g), nil
}

// accountFatal reports a failed lookup in the original's words.
func accountFatal(inv *cli.Invocation, code int, name string, err error) int {
	if errors.Is(err, errUnknownAccount) {
		return inv.Fatal(code, "unknown account %s", name)
	}
	return inv.Fatal(code, "unable to look up account %s: %s", name, djberr.Text(err))
}
