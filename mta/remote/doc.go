// Package remote is qmail-remote (qmail-remote(8)): it delivers one
// message to the recipients at one remote host, over SMTP (RFC 5321) or
// QMTP (https://cr.yp.to/proto/qmtp.txt), and tells qmail-rspawn how each
// recipient and the message fared.
//
// Interface, as qmail's: `qmail-remote host sender recip...`, the message
// on fd 0 with LF line ends. On fd 1, one report per recipient in argument
// order: 'r' (accepted), 'h' (refused for good) or 's' (refused for now),
// text, NUL; then one for the message: 'K' (delivered to the accepted
// recipients), 'Z' (try again later) or 'D' (give up), text, NUL. A report
// may come alone, without recipient reports, when nothing was sent. The
// exit code is always 0.
//
// What it does, in qmail's order:
//   - control/qmtproutes and control/smtproutes choose a relay and port
//     (qmail-control(5)); otherwise the MX records of the host, with A and
//     AAAA records of each exchanger (and the host's own addresses when it
//     has no MX), by preference, equal preferences in random order;
//   - when this host is one of the exchangers only better ones are tried
//     (qmail's ipme rule);
//   - addresses that keep timing out are skipped (package tcpto);
//   - SMTP: EHLO (HELO when refused), STARTTLS as control/tlsdestinations
//     says (RFC 3207), AUTH PLAIN or LOGIN with the route's credentials
//     (RFC 4954), MAIL with SIZE (RFC 1870) and BODY=8BITMIME (RFC 6152),
//     the envelope pipelined when offered (RFC 2920), and the message with
//     every line end (LF, CR LF, or a CR alone) as CR LF and leading dots
//     doubled; over QMTP every line end is LF. No CR or LF goes on alone,
//     so a next hop that takes one for a line end sees the lines of the
//     stored message, and the message cannot end early there ("SMTP
//     smuggling").
//
// Recipient replies map 2xx to 'r', 5xx to 'h', others to 's'; the reply
// after the message maps 2xx to 'K', 5xx to 'D', others to 'Z'. Texts are
// qmail-remote's ("Connected to 192.0.2.1 but sender was rejected.",
// "Remote host said: ...") so that bounces and logs read the same.
package remote
