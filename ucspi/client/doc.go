// Package client is tcpclient(1) of ucspi-tcp 0.88 with Felix von
// Leitner's IPv6 patch (Debian's ucspi-tcp-ipv6): it connects to a TCP
// server, trying each address of the host in turn, sets the UCSPI
// environment of tcp-environ(5), and replaces itself with a program that
// reads the network on descriptor 6 and writes it on descriptor 7.
//
// Exit codes: 100 for a usage error; 111 when the host cannot be resolved,
// no address answers, or the program cannot be run; otherwise the
// program's own, since it replaces tcpclient.
package client
