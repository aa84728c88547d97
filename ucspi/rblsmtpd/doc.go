// Package rblsmtpd is rblsmtpd(1) from ucspi-tcp 0.88: it sits between
// tcpserver and an SMTP server such as qmail-smtpd and, for a client listed
// in a DNS blocklist (or named by $RBLSMTPD), holds a minimal SMTP dialogue
// that rejects every message instead of running the server.
//
// The decision is taken in this order, the first one standing:
//
//  1. $RBLSMTPD: set and empty accepts; a value beginning with "-" blocks
//     with 553 and the rest as text; any other value blocks with 451.
//  2. The options, in argv order: -r base looks up the TXT records of the
//     client's reversed address under base (DNSBL, RFC 5782), a non-empty
//     text blocks with that text; -a base looks up an A record there and
//     accepts when there is one. -b and -B choose 553 or 451 for the -r
//     options that follow; -c and -C choose whether a DNS lookup that fails
//     temporarily blocks (451 "temporary RBL lookup error") or is passed
//     over. A temporary failure anywhere turns a later 553 into 451.
//     -w n and -W (n from $GREETDELAY) hold back, if still undecided, the
//     greeting the SMTP server will give for n seconds; a client that sends
//     anything in that time is answered "554 SMTP protocol violation" and
//     dropped (pregreet detection, from fehcom's ucspi-tcp6 and Postfix's
//     postscreen).
//  3. Undecided means accepted: the rest of argv is executed with the
//     environment unchanged.
//
// A blocked client gets "220 rblsmtpd.local"; HELO, EHLO, MAIL, RSET and
// NOOP get "250 rblsmtpd.local", QUIT "221 rblsmtpd.local" and the end of
// the session, every other line the 451 or 553 reply (text cut to 200 bytes,
// bytes outside 32..126 shown as '?'); the session lasts at most -t seconds
// (default 60); -t0 sends the reply alone. One line is logged:
// "rblsmtpd: IP pid PID: 451 TEXT".
//
// The client's address is $TCPREMOTEIP as tcpserver sets it; IPv4 is
// looked up as reversed octets, IPv6 as reversed nibbles (a v4-mapped
// address as IPv4), as fehcom's ucspi-tcp6 does.
package rblsmtpd
