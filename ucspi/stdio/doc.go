// Package stdio implements ucspi-tcp 0.88's small stream tools: addcr(1),
// delcr(1), fixcrio(1), recordio(1) and argv0(1).
//
// addcr and delcr are filters from standard input to standard output.
// fixcrio and recordio sit between a client and a program as 0.88 does: the
// process execs the program in its own place, so the program keeps the pid
// (and tcpserver's "end" line reports its exit status), while a helper
// process, started from this binary before the exec, copies the bytes
// between the client and the program's pipes.
package stdio
