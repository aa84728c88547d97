// Package queue implements qmail's mail queue: its layout on disk, the
// writer behind qmail-queue(8), the readers qmail-send(8) and the queue
// tools use, and the recovery rules of qmail's INTERNALS document.
//
// # Layout
//
// Under the qmail home, queue/ holds (N is a message's inode number, S the
// split subdirectory N mod split):
//
//	pid/P.T.Q     qmail-queue's private file before its inode is known
//	mess/S/N      the message, Received line first
//	intd/N        the envelope while qmail-queue writes it
//	todo/N        a complete envelope waiting for qmail-send
//	info/S/N      the envelope sender, written by qmail-send
//	local/S/N     local recipients, each "T" (to do) or "D" (done) + addr + NUL
//	remote/S/N    remote recipients, in the same form
//	bounce/N      failure reports waiting to be turned into a bounce
//	lock/sendmutex  held (flock) by the running qmail-send
//	lock/trigger  FIFO: qmail-queue writes a byte to wake qmail-send
//	lock/qtool    FIFO: queue-tool requests to qmail-send (not in qmail)
//	lock/tcpto    qmail-remote's timeout table
//	lock/mtasts/  qmail-remote's cache of MTA-STS policies (not in qmail)
//
// The split is chosen when the queue is made (Create, default 23) and read
// back from the number of subdirectories of mess/.
//
// # States
//
// Files of message N are added in the order mess, intd, todo, info,
// local and remote, bounce, and removed in the reverse order; every file is
// fsync'd before the directory entry that makes it count, and every
// directory whose entry matters is fsync'd before the next step. A crash at
// any instant therefore leaves the message in one of these states:
//
//	S1  no file                      nothing to do
//	S2  +mess -intd -todo -info      being written, or finished: removed
//	                                 by cleanup once no qmail-queue holds
//	                                 its lock (or it is 36 hours old)
//	S3  +mess +intd -todo -info      envelope being written: as S2
//	S4  +mess ?intd +todo ?info ?local ?remote
//	                                 queued: qmail-send (re)does the
//	                                 preprocessing from todo, overwriting
//	                                 any info/local/remote, then removes
//	                                 intd and todo through qmail-clean
//	S5  +mess -intd -todo +info ?local ?remote ?bounce
//	                                 in delivery: qmail-send resumes with
//	                                 the recipients still marked T; a
//	                                 recipient is marked D only after its
//	                                 delivery succeeded or its failure was
//	                                 appended to bounce/N (fsync'd), so a
//	                                 crash can repeat a delivery but never
//	                                 lose one
//
// qmail-queue's exit 0 comes only after todo/N's directory entry is on
// disk, so an acknowledged message is in S4 or later. A message leaves S5
// when no recipient is marked T: the bounce, if any, is queued as a new
// message, then bounce, local, remote and info are unlinked and
// qmail-clean removes intd and mess (back to S1, or S2 if the crash comes
// between). qmail-send may also deliver a message with one recipient
// straight from S4, writing info/local/remote only if that delivery is
// deferred or fails; after a success it unlinks todo (S4 to S3, a state
// cleanup removes), then intd and mess go as above. A crash before
// todo's unlink repeats the delivery, as a crash before the D mark does. qmail-queue holds an flock(2) lock on its file from the
// moment it makes it in pid/ until it exits, so an unlocked file in pid/
// or an unlocked message in S2 or S3 is known to be debris of a dead
// writer (or the end of a finished message) and goes at the next cleanup
// instead of after qmail's 36 hours; the 36-hour rule stays for any file
// whatever its lock says.
//
// The recovery primitives are in recover.go: State classifies a message,
// Stale finds the S2/S3 leftovers, CleanPid the pid/ debris, and
// RemoveMessage and RemoveTodo are qmail-clean's two jobs; both refuse a
// message still in use, since a request may be out of date or name an
// earlier message whose inode number a new one got. qmail-send
// applies them at start and every 10 minutes; qmail-clean removes the
// pid/ debris when it starts and every 10 minutes.
package queue
