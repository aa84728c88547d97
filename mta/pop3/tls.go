package pop3

import (
	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// TLSMode is how STLS is offered (ucspitls.Mode, from $UCSPITLS).
type TLSMode = ucspitls.Mode

// The modes, as ucspitls names them.
const (
	TLSOff     = ucspitls.Off
	TLSOffer   = ucspitls.Offer
	TLSRequire = ucspitls.Require
)

// TLSStarter starts TLS in the middle of the session (RFC 2595).
type TLSStarter = ucspitls.Starter

// TLSFromEnv reads $UCSPITLS and the UCSPI-TLS descriptors.
func TLSFromEnv(env func(string) (string, bool)) (TLSMode, TLSStarter, bool) {
	return ucspitls.Setup(env)
}
