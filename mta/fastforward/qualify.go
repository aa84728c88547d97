package fastforward

import (
	"os"
	"strings"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/mta/control"
)

// Defaults are the controls that complete an address written without a
// fully qualified domain (qmail-header(5)): defaulthost, defaultdomain
// and plusdomain, each control/me when missing, and "me" when that is
// missing too.
type Defaults struct {
	Host, Domain, Plus string
}

// ReadDefaults reads the controls of the qmail home, failing as the
// originals do after chdir to it.
func ReadDefaults(home string) (Defaults, error) {
	if st, err := os.Stat(home); err != nil {
		return Defaults{}, fail(111, "unable to chdir to %s: %s", home, djberr.Text(err))
	} else if !st.IsDir() {
		return Defaults{}, fail(111, "unable to chdir to %s: %s", home, "not a directory")
	}
	ctl := control.Open(home)
	var d Defaults
	me, _, err := ctl.Line("me", "me")
	if err == nil {
		d.Domain, _, err = ctl.Line("defaultdomain", me)
	}
	if err == nil {
		d.Host, _, err = ctl.Line("defaulthost", me)
	}
	if err == nil {
		d.Plus, _, err = ctl.Line("plusdomain", me)
	}
	if err != nil {
		return Defaults{}, fail(111, "unable to read controls: %s", djberr.Text(err))
	}
	return d, nil
}

// Complete finishes an address that already has its @ (and the host
// part, if any): a trailing + becomes "." and plusdomain, and a host part
// without a dot gets "." and defaultdomain.
func (d Defaults) Complete(a string) string {
	if strings.HasSuffix(a, "+") {
		a = a[:len(a)-1] + "." + d.Plus
	}
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		at = 0
	}
	if !strings.Contains(a[at:], ".") {
		a += "." + d.Domain
	}
	return a
}
