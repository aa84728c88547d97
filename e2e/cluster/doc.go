// Package cluster holds the end-to-end test of quail beyond one machine:
// several hosts, each a quail instance made by quail-setup and run by
// svscan in a network namespace of its own, joined by veth pairs to a
// bridge, with addresses from the benchmarking range 198.18.0.0/15 that
// exist only inside those namespaces, and DNS from dnsclient/dnstest.
// Mail crosses them by the protocols qmail scales out with (QMQP from
// null clients to a hub, SMTP to MX hosts chosen by preference) while
// hosts are killed and cut off. It has no code of its own.
package cluster
