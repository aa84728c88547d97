// Package setup implements quail-setup(8): it turns a host with the quail
// programs installed into a running mail system, as qmail's INSTALL,
// config-fast, the daemontools "service" recipe and the classic
// qmail-smtpd run scripts did by hand.
//
// It works in two worlds. The privileged installation (run as root) makes
// qmail's users and groups, the qmail home with the ownerships and modes of
// qmail 1.03's hier.c, the queue with its owners, control files from the
// host name, the postmaster aliases, users/assign and users/cdb, a
// self-signed certificate, tcprules tables, service directories under
// /var/service from service-templates/, logs under /var/log and a way to
// start svscan at boot. A single-user instance (-u) is the same tree
// owned by the invoking user, with control/singleuser, its own ports and a
// demo user; `make run` uses it.
//
// Setup only adds: a file, directory or link that exists is left alone and
// reported, so a second run changes nothing. Check mode (-c) changes
// nothing and lists every problem it finds with what to do about it.
package setup
