// Package multilog implements daemontools 0.76 multilog(8)
// (https://cr.yp.to/daemontools/multilog.html): it reads lines from
// standard input, optionally stamps each with a TAI64N label, selects lines
// with +pattern and -pattern actions, and appends the selected ones to
// automatically rotated log directories, status files and standard error.
//
// The log directory format is the original's, so that a directory written
// by this package can be taken over by daemontools' multilog and back:
// lock, current (mode 0644 while written, 0744 once closed cleanly),
// previous, processed, state, newstate and the archives @<label>.s and
// @<label>.u.
//
// Rotation points are decided exactly as 0.76 decides them, although the
// bytes are written in large chunks: 0.76 writes through a 512-byte buffer
// per directory that is flushed whenever it fills and whenever 0.76 goes
// back to its 1024-byte input buffer, and its rotation rule ("a write that
// ends with a newline within 2000 bytes of the size limit") depends on
// those flush boundaries. chunker.go replays that buffer arithmetically, so
// the same input gives the same current and the same archives.
//
// Beyond 0.76 the script language accepts, from s6-log, S (a cap on the
// total size of the archives) and r (the pause after an error, in
// milliseconds), and a (rotate current when its first line is older than
// the given number of seconds); see man/multilog.8.
package multilog
