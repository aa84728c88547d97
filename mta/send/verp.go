package send

import "strings"

// verpSuffix ends a sender that asks for a variable envelope return
// path (qmail-send(8), qmail-inject(8)'s QMAILINJECT=r).
const verpSuffix = "-@[]"

// VERPSender is the sender qmail-send hands the spawn daemon for one
// delivery, as qmail-send.c's senderadd makes it: a sender
// "prefix@host-@[]" becomes "prefix" + the recipient's box + "=" + the
// recipient's domain + "@host", the recipient's box and domain split at
// its last '@' and the sender's prefix and host at the last '@' before
// "-@[]". So "owner-@host-@[]" to "box@dom" is "owner-box=dom@host".
// Any other sender, or a recipient without '@', or a sender without '@'
// before "-@[]", is handed on unchanged.
func VERPSender(sender, recip string) string {
	base, ok := strings.CutSuffix(sender, verpSuffix)
	if !ok {
		return sender
	}
	j := strings.LastIndexByte(base, '@')
	k := strings.LastIndexByte(recip, '@')
	if j < 0 || k < 0 {
		return sender
	}
	return base[:j] + recip[:k] + "=" + recip[k+1:] + "@" + base[j+1:]
}

// BounceSender is where the bounce of a message from sender goes, as
// qmail-send.c's injectbounce takes it: a VERP sender loses its "-@[]",
// so the bounce of a message from "owner-@host-@[]" goes to
// "owner-@host" (the recipients it failed for are in the bounce), and
// "-@[]" alone becomes the null sender. Other senders are unchanged.
func BounceSender(sender string) string {
	if base, ok := strings.CutSuffix(sender, verpSuffix); ok {
		return base
	}
	return sender
}
