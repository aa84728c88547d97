// Package tcpenv builds the environment a UCSPI TCP program is given, as
// tcp-environ(5) of ucspi-tcp 0.88 defines it with Felix von Leitner's IPv6
// patch (Debian's ucspi-tcp-ipv6): PROTO, TCPLOCALIP, TCPLOCALPORT,
// TCPLOCALHOST, TCPREMOTEIP, TCPREMOTEPORT, TCPREMOTEHOST, TCPREMOTEINFO and
// their TCP6 twins, and the log-field cleaning (safecats) tcpserver applies
// to what it prints. tcpserver and tcpclient share it.
package tcpenv
