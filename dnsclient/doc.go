// Package dnsclient is the stub resolver every quail program uses: PTR
// lookups for tcpserver, forward lookups for tcpserver -p and tcpclient,
// DNSBL lookups for rblsmtpd, MX and address lookups for qmail-remote and TXT
// lookups for SPF in qmail-smtpd.
//
// It plays the part of djbdns's client library (dns_ip4, dns_name4, dns_txt,
// dns_mx as ucspi-tcp 0.88 and qmail 1.03 use them): it sends recursive
// queries to the configured caches only and never walks the DNS tree itself.
// Messages are built and decoded with github.com/miekg/dns (RFC 1035, RFC
// 3596 for AAAA and ip6.arpa); the transport, the checks on replies and the
// reading of answers are ours:
//
//   - UDP first, one server after another, with growing per-try timeouts
//     (1, 3, 11 and 45 seconds by default, as djbdns does) that never go past
//     the caller's context deadline;
//   - a reply is only taken when it comes from the server asked (a connected
//     socket), carries the query's ID, is a response to a standard query and
//     repeats the question (name case-insensitively, type and class); anything
//     else is ignored and the wait goes on (RFC 5452 section 9.1);
//   - a truncated UDP reply (TC) is asked again over TCP of the same server
//     (RFC 7766);
//   - SERVFAIL, REFUSED and every other error code, a timeout or an unusable
//     reply move on to the next server; when none answers the failure is
//     temporary (IsTemporary);
//   - NXDOMAIN (ErrNXDomain) and NOERROR without records of the type asked
//     (ErrNoData) are both ErrNotFound, the permanent "no such" answer;
//   - CNAME chains in an answer are followed (case-insensitively, at most
//     MaxCNAME links in all); when a chain ends without data the target is
//     asked for in turn, within the same bound.
//
// For DANE, MXAD, IPAD and TLSA ask with the AD bit and report whether the
// caches authenticated the answer (see secure.go for when that can be
// believed).
//
// Names are taken as fully qualified: no search list is applied by the
// lookups (Qualify offers djbdns-style qualification to the programs whose
// originals did it, such as tcpclient). Names are returned in lower case
// without the trailing dot.
//
// No goroutine is started: a per-connection program pays only for the
// sockets of the query in flight.
package dnsclient
