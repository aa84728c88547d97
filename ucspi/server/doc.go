// Package server is the accept-and-exec core that tcpserver (ucspi-tcp 0.88
// with Felix von Leitner's IPv6 patch, tcpserver(1)) and sslserver share: it
// listens on one address, accepts connections up to a limit, gathers what
// tcp-environ(5) describes (local and remote names by DNS, the IDENT answer),
// applies the tcprules(1) cdb, and runs the program for each connection with
// the socket as descriptors 0 and 1, logging in tcpserver's format.
//
// Where the original forks first and does the per-connection lookups in the
// child, this does them in a goroutine per connection, bounded by the
// connection limit, so that a slow DNS server or IDENT peer never holds up
// the accept loop; the program is started with fork and exec only when its
// environment is complete. Children are reaped by one goroutine on SIGCHLD,
// so a thousand live connections cost no thousand waiting threads.
//
// sslserver plugs in through Config.Prepare, which sees each allowed
// connection just before the program starts and may replace the
// descriptors the program gets and add to its environment.
package server
