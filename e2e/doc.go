// Package e2e holds the end-to-end tests of the whole system: a
// single-user quail instance under a temporary directory, driven by real
// clients (swaks, Python's smtplib and poplib, Postfix's smtp-source,
// openssl s_client) over loopback sockets. It has no code of its own.
package e2e
