package smtpd

import (
	"strings"
	"time"
)

// DomainAllowed is qmail's addrallowed for the other servers that share
// qmail-smtpd's relay control (qmail-qmtpd): whether rcpthosts or
// morercpthosts.cdb lists domain or one of its ".suffix" forms.
func (c *Config) DomainAllowed(domain string) (bool, error) {
	return c.domainAllowed(strings.ToLower(domain))
}

// ReceivedLine is the Received field qmail's received.c writes for a
// protocol without HELO (QMTP, QMQP), ending in "\n".
func ReceivedLine(protocol, localHost, remoteIP, remoteHost, remoteInfo string, t time.Time) string {
	return received(protocol, "", localHost, remoteIP, remoteHost, remoteInfo, t)
}
