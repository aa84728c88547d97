// Package serialmail is serialmail 0.75 (D. J. Bernstein's tools for
// mail to hosts that are not always connected): mail for such a host is
// kept in a Maildir by a .qmail file (reached through
// control/virtualdomains), and sent when the host is there, by the
// administrator or from the connection the host makes:
//
//   - MaildirSerial (maildirserial(1)) scans a Maildir for messages whose
//     Delivered-To line begins with a prefix, feeds their names to a
//     client, reads the client's result for each, and removes a message
//     only after the client reports it accepted ('K'); permanent failures
//     ('D', or temporary ones past -t's lifetime) are bounced with -b and
//     removed; a message the client gave no result for (the connection
//     broke) is offered again to a new run of the client, as long as runs
//     make progress;
//   - SerialSMTP (serialsmtp(1)) and SerialQMTP (serialqmtp(1)) are such
//     clients over a UCSPI connection (read on descriptor 6, write on 7):
//     the envelope comes from the message's Return-Path and Delivered-To
//     lines (removed, the prefix cut from the recipient), and each result
//     is "name\0" then K, Z or D and a text line;
//   - MaildirSMTP and MaildirQMTP (maildirsmtp(1), maildirqmtp(1)) are
//     the usual pipelines: maildirserial -b -t 1209600 over tcpclient to
//     port 25 or 209.
//
// The exit codes are the originals': 0 when everything was delivered,
// 100 for a usage error (or a client's), 111 otherwise.
package serialmail
