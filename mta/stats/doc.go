// Package stats implements qmail-stats, quail's operations statistics: it
// reads the logs that multilog keeps for qmail-send and for the
// tcpserver/rblsmtpd/qmail-smtpd chain and reports what qmailanalog's
// matchup and z* scripts report (messages, deliveries by channel and
// result, bounces, delays, recipient and sender domains, concurrency), plus
// qmail-smtpd's accepted and refused transactions by reason.
//
// The line formats are those of qmail-log(5) as qmail-send writes them
// (quail's mta/send keeps them), qmail-smtpd's LOGGING section in
// qmail-smtpd(8), tcpserver(1)'s -v lines and rblsmtpd(1)'s refusal line.
// Each line may start with multilog's TAI64N label ("@" and 24 hex digits,
// see tai64n(8)) or an accustamp ("SECONDS.MICROSECONDS").
//
// Reading is streaming: the only state kept between lines is per message
// in the queue and per delivery in progress, dropped when the message ends
// or the delivery reports, and capped in size (the oldest entries are
// evicted and counted). Distributions are kept in fixed histograms, and
// per-domain and per-reason tables are capped too, so memory does not grow
// with the length of the logs.
//
// Exit codes of qmail-stats:
//
//	0    the report was written
//	100  usage error
//	111  a log could not be read or the report could not be written
package stats
