package send

import (
	"strconv"

	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/spawn"
)

// The lines of qmail-send's log, each made in one place. Those qmail
// 1.03 writes are byte for byte its own (qmail-log(5); qmail-send.c,
// whose function each comment names); qmailanalog and the scripts
// written around it split them at spaces, so every field that comes
// from a message passes through Safe. Queue file names are relative to
// the queue directory, as qmail-send, which runs there, names them:
// "remote/3/1234", "bounce/1234". TestLogLines pins every one.

// lineNewMsg: todo_do, a message taken from todo/.
func lineNewMsg(id queue.ID) string { return "new msg " + id.String() }

// lineInfoMsg: todo_do, at the message's F record: its size (mess/N's),
// sender, qp and uid as the todo file's p and u records give them.
func lineInfoMsg(id queue.ID, bytes int64, sender, qp, uid string) string {
	return "info msg " + id.String() + ": bytes " + strconv.FormatInt(bytes, 10) +
		" from <" + Safe(sender) + "> qp " + ulong(qp) + " uid " + ulong(uid)
}

// lineStarting: del_start.
func lineStarting(delid int, id queue.ID, ch Channel, recip string) string {
	return "starting delivery " + itoa(delid) + ": msg " + id.String() + " to " + ch.String() + " " + Safe(recip)
}

// lineDelivery: del_dochan, a spawn daemon's report: "success",
// "failure" or "deferral" and the report's text, whose final newline
// shows as the '/' that ends it ("did_1+0+0/").
func lineDelivery(delid int, result byte, text string) string {
	kind := "deferral: "
	switch result {
	case spawn.Success:
		kind = "success: "
	case spawn.Failure:
		kind = "failure: "
	}
	return "delivery " + itoa(delid) + ": " + kind + Safe(text)
}

// lineStatus: del_status, the deliveries under way and the limits of
// each channel; " exitasap" once SIGTERM came.
func lineStatus(local, conclocal, remote, concremote int, exitasap bool) string {
	l := "status: local " + itoa(local) + "/" + itoa(conclocal) + " remote " + itoa(remote) + "/" + itoa(concremote)
	if exitasap {
		l += " exitasap"
	}
	return l
}

// lineExiting: main, the last line.
const lineExiting = "status: exiting"

// lineBounceMsg: injectbounce, with the qp of the qmail-queue that
// queued the bounce.
func lineBounceMsg(id queue.ID, qp int) string {
	return "bounce msg " + id.String() + " qp " + itoa(qp)
}

// lineTripleBounce: injectbounce, the bounce of a double bounce.
func lineTripleBounce(id queue.ID) string { return "triple bounce: discarding bounce/" + id.String() }

// lineDoubleBounce: a double bounce thrown away because doublebounceto
// is empty, in the words of the doublebounce-trim patch (qmail 1.03
// sends it to "@doublebouncehost").
func lineDoubleBounce(id queue.ID) string { return "double bounce: discarding bounce/" + id.String() }

// lineEndMsg: messdone, the message has left the queue.
func lineEndMsg(id queue.ID) string { return "end msg " + id.String() }

// giveUpText: del_dochan, added to a deferral's report when the message
// is older than queuelifetime, which makes it a failure.
const giveUpText = "I'm not going to try again; this message has been in the queue too long.\n"

// Warnings and alerts qmail-send 1.03 writes, with the queue file (its
// name as queueName gives it) or the clean-up request they are about.
func warnUtime(name string) string {
	return "warning: unable to utime " + name + "; message will be retried too soon" // pqfinish
}
func warnMarking(name string) string {
	return "warning: trouble marking " + name + "; message will be delivered twice!" // markdone
}
func warnCleanUp(request string) string {
	return "warning: qmail-clean unable to clean up " + request // messdone, todo_do, cleanup_do
}
func warnUnlink(name string) string { return "warning: unable to unlink " + name } // injectbounce
func warnStatLater(name string) string {
	return "warning: unable to stat " + name + "; will try again later" // pqadd, messdone
}
func warnReadingLater(name string) string {
	return "warning: trouble reading " + name + "; will try again later" // pass_dochan
}

// warnTodo is a trouble of todo_do's with one file, in its words:
// "unable to open todo/N", "unable to stat mess/3/N", "unable to create
// info/3/N", "trouble writing to local/3/N", "trouble fsyncing
// remote/3/N", "trouble reading todo/N", "unknown record type in todo/N".
func warnTodo(trouble, name string) string { return "warning: " + trouble + " " + name }

const (
	warnInjectBounce  = "warning: trouble injecting bounce message, will try later"    // injectbounce
	warnStartQueue    = "warning: unable to start qmail-queue, will try later"         // injectbounce
	warnReportRange   = "warning: internal error: delivery report out of range"        // del_dochan
	alertLostSpawn    = "alert: oh no! lost spawn connection! dying..."                // spawndied
	alertLostClean    = "alert: oh no! lost qmail-clean connection! dying..."          // cleandied
	alertOpendirTodo  = "alert: unable to opendir todo, sleeping..."                   // pausedir
	alertReread       = "alert: unable to reread controls"                             // reread, with ": " and the trouble
	alertCannotStart  = "alert: cannot start: "                                        // main, then the trouble
	startControls     = "unable to read controls"                                      // getcontrols
	startQueueDir     = "unable to switch to queue directory"                          // chdir
	startMutex        = "unable to open mutex"                                         // lock/sendmutex
	startRunning      = "qmail-send is already running"                                // lock_exnb
	alertAppendBounce = "alert: unable to append to bounce message; delivery deferred" // addbounce: quail defers, qmail sleeps and retries
)

// Lines of quail's own, in qmail-send's manner.
const (
	warnStale     = "warning: unable to look for stale messages in the queue" // cleanStale
	warnQtoolFIFO = "warning: unable to open lock/qtool; qmail-qtool requests will not be heard"
	warnQtoolBad  = "warning: qmail-qtool request not understood"
)

func warnQtoolNoMsg(arg string) string {
	return "warning: qmail-qtool: no msg " + Safe(arg) + " in delivery"
}
func lineRemoveMsg(id queue.ID) string { return "remove msg " + id.String() }

// warnWriteDown: a message delivered straight from todo/ whose state
// could not be written after a deferral or failure; it is deferred and
// stays in todo/ for the next start.
func warnWriteDown(id queue.ID) string {
	return "warning: unable to write the state of msg " + id.String() + "; it stays in todo"
}

// trouble is an error that is the line qmail-send logs for it.
type trouble string

func (t trouble) Error() string { return string(t) }

// ulong is a number of the todo file as qmail-send's scan_ulong reads
// it and fmt_ulong prints it: its leading digits, "0" without any.
func ulong(s string) string {
	var n uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	return strconv.FormatUint(n, 10)
}
