package srs

import (
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/control"
)

// ForwardSender is the envelope sender of a message that host forwards
// with sender as its sender: rewritten when control/srsdomains applies to
// host, sender itself otherwise and for bounces (empty or "#@[]") and
// senders that cannot be rewritten (no '@'). The error is a failure to
// read the control file.
func ForwardSender(dir control.Dir, host, sender string, now time.Time) (string, error) {
	if sender == "" || sender == "#@[]" {
		return sender, nil
	}
	d, err := LoadDomains(dir)
	if err != nil {
		return "", err
	}
	return d.ForwardSender(host, sender, now), nil
}

// ForwardSender is the package's ForwardSender with the file read.
func (d *Domains) ForwardSender(host, sender string, now time.Time) string {
	if sender == "" || sender == "#@[]" {
		return sender
	}
	e, ok := d.Lookup(host)
	if !ok {
		return sender
	}
	out, err := e.Codec().Forward(sender, e.Alias(strings.ToLower(host)), now)
	if err != nil {
		return sender
	}
	return out
}

// CheckRecipient checks an SRS address at one of the domains
// control/srsdomains makes senders in: nil when addr is no SRS address
// or not at such a domain, or when it is valid; otherwise why it is not
// (Invalid says it is a verdict on the address).
func (d *Domains) CheckRecipient(addr string, now time.Time) error {
	at := strings.LastIndexByte(addr, '@')
	if d == nil || at < 0 || !IsSRS(addr) {
		return nil
	}
	e, ok := d.ForAlias(addr[at+1:])
	if !ok {
		return nil
	}
	_, err := e.Codec().Reverse(addr[:at], now)
	return err
}
