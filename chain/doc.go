// Package chain implements daemontools 0.76's chain-loading tools, each
// as a function that takes a *cli.Invocation and returns the exit code
// (its two TAI64N filters are in package tai64/filter):
//
//	envdir d child         set and unset variables from the files in d
//	envuidgid acct child   put acct's numeric ids in $GID and $UID
//	setuidgid acct child   become acct (one group, the account's)
//	softlimit opts child   lower resource limits
//	setlock opts f child   hold an flock(2) on f while child runs
//	pgrphack child         run child in a new session
//	fghack child           wait for a daemon that puts itself in the background
//	readproctitle x...     show the tail of standard input in ps(1)
//
// Each follows the contract of the original's man page and source
// (https://cr.yp.to/daemontools.html): the same arguments, environment,
// descriptors and exit codes. The "chain" tools end by replacing themselves
// with the child, so on success they do not return.
package chain
