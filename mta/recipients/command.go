package recipients

import (
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// QmailRecipients is qmail-recipients: it compiles QMAILHOME/users/recipients
// into users/recipients.cdb. Exit 0, 100 for a line that is not an
// address, 111 for any other failure; the old cdb stays in place on error.
func QmailRecipients(inv *cli.Invocation) int {
	if len(inv.Args) > 1 {
		return inv.Usage("")
	}
	if err := Build(qmailhome.Dir(inv.Getenv)); err != nil {
		if isParse(err) {
			return inv.Fatal(cli.ExitPermanent, "%v", err)
		}
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	return 0
}
