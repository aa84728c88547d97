// Package pop3 implements qmail's POP3 server pair, qmail-popup(8) and
// qmail-pop3d(8), as engines that read an io.Reader and write an
// io.Writer:
//
//   - Popup holds the AUTHORIZATION state of RFC 1939: USER/PASS, APOP,
//     CAPA (RFC 2449), STLS (RFC 2595, through UCSPI-TLS), NOOP, QUIT.
//     It hands the login to a checkpassword program
//     (https://cr.yp.to/checkpwd/interface.html), which on success runs
//     qmail-pop3d on the same connection; qmail-pop3d's first "+OK" is
//     the answer to PASS.
//   - Maildrop holds the TRANSACTION and UPDATE states over a Maildir
//     (maildir(5)): STAT, LIST, UIDL, TOP, RETR, DELE, NOOP, RSET, LAST,
//     CAPA, QUIT. Messages are listed oldest first; deletions happen only
//     at QUIT, when the messages left in new/ move to cur/ with ":2,"
//     added, as qmail-pop3d does. UIDL is the file name up to ':', so it
//     survives that move.
//
// Replies keep qmail's wording ("+OK ", "-ERR authorization failed",
// "-ERR unable to open that message" ...).
package pop3
