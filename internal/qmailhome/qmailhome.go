// Package qmailhome says where the qmail home is: the directory fixed at
// build time (Default, set with -ldflags -X, /var/qmail unless changed),
// unless the environment variable QMAILHOME points elsewhere. A set-uid or
// set-gid program must not let its caller choose its files, so it ignores
// the variable.
package qmailhome

import (
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/internal/rawsys"
)

// Default is the qmail home chosen at build time.
var Default = "/var/qmail"

// Dir returns the qmail home for a program with environment env.
func Dir(lookup func(string) (string, bool)) string {
	if os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid() {
		return Default
	}
	if d, ok := lookup("QMAILHOME"); ok && d != "" {
		return d
	}
	return Default
}

// SingleUser reports whether the qmail home is a single-user instance:
// the file control/singleuser exists. Then every program runs as the
// invoking user, root included, and deliveries go to that user's files
// (quail-setup(8)). The stat is raw where the process asked for it
// (package rawsys): qmail-queue asks for every message.
func SingleUser(home string) bool {
	_, err := rawsys.Stat(filepath.Join(home, "control", "singleuser"))
	return err == nil
}
