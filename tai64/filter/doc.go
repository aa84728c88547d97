// Package filter implements daemontools 0.76's two filters of TAI64N
// labels (package tai64), each as a function that takes a
// *cli.Invocation and returns the exit code:
//
//	tai64n         prefix each line with a TAI64N label
//	tai64nlocal    turn leading labels into local time
//
// Each follows the contract of the original's man page and source
// (https://cr.yp.to/daemontools/tai64n.html, tai64nlocal.html): standard
// input to standard output, exit 0 at its end, 111 when reading or
// writing fails.
package filter
