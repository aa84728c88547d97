package setup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quail-mta/quail/internal/qmailhome"
)

// Result is what a run of Setup did.
type Result struct {
	Changes  int
	Services []string // the services installed (new or kept)
}

// ErrNotRoot refuses a privileged installation by another user.
var ErrNotRoot = errors.New("the privileged installation needs root; use -u for a single-user instance")

// Setup installs or completes the instance described by c, reporting on
// out each thing it adds or keeps.
func Setup(c *Config, out io.Writer) (Result, error) {
	if err := c.validate(); err != nil {
		return Result{}, err
	}
	in := &installer{cfg: c, out: out, name: "quail-setup"}
	var d ids
	o := singleUserOwners()
	if !c.SingleUser {
		if os.Geteuid() != 0 {
			return Result{}, ErrNotRoot
		}
		var err error
		if d, err = in.accounts(); err != nil {
			return Result{}, err
		}
		o = privilegedOwners(d)
		if c.Home != qmailhome.Default {
			in.say("warning: the programs were built for %s, and the set-uid qmail-queue ignores QMAILHOME: rebuild with make QMAILHOME=%s", qmailhome.Default, c.Home)
		}
	}
	if err := in.home(o); err != nil {
		return Result{}, err
	}
	svcs, err := in.services(o, d)
	if err != nil {
		return Result{}, err
	}
	if c.Boot && !c.SingleUser && len(c.NullClient) == 0 {
		if err := in.boot(o); err != nil {
			return Result{}, err
		}
	}
	in.say("%d changes; services: %s", in.changes, strings.Join(svcs, " "))
	return Result{Changes: in.changes, Services: svcs}, nil
}

// RebuildRules recompiles every tcprules file of the instance.
func RebuildRules(c *Config, out io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	in := &installer{cfg: c, out: out, name: "quail-setup"}
	o := singleUserOwners()
	if !isSingleUser(c) && os.Geteuid() == 0 {
		d, err := in.readIDs()
		if err != nil {
			return err
		}
		o = privilegedOwners(d)
	}
	if err := in.rebuildRules(o); err != nil {
		return fmt.Errorf("unable to rebuild the tcprules tables: %w", err)
	}
	return nil
}

func isSingleUser(c *Config) bool {
	return c.SingleUser || qmailhome.SingleUser(c.homePath())
}
