// Package smtpd is qmail-smtpd's engine: an SMTP server (RFC 5321) for one
// connection, reading commands from an io.Reader and writing replies to an
// io.Writer, with the UCSPI environment handed in as a value. It keeps
// qmail-smtpd's replies, control files and Received line, and adds what
// Spamcontrol and s/qmail added: ESMTP extensions (PIPELINING, 8BITMIME,
// SIZE RFC 1870, ENHANCEDSTATUSCODES RFC 2034/3463, SMTPUTF8 RFC 6531,
// CHUNKING and BINARYMIME RFC 3030),
// STARTTLS (RFC 3207) through UCSPI-TLS, SMTP AUTH (RFC 4954) through the
// checkpassword interface, and envelope filters.
//
// Line handling is strict: commands must end in CR LF, and only CR LF "."
// CR LF ends a message, so SMTP smuggling cannot split one message in two;
// a BDAT chunk is counted octets, stored as DATA stores the same octets.
package smtpd
