package queue

import "errors"

// qmail-queue's exit codes (qmail-queue(8)). 11-40 are permanent, every
// other non-zero code temporary (qqueue.Explain says what each means to
// a caller). Codes 31, 56, 71-74 and 82 belong to programs with the same
// interface, 115 to old qmail-queues and 120 to qmail.c's qmail_open, and
// are never returned here.
const (
	ExitOK          = 0
	ExitAddrTooLong = 11  // an envelope address too long for the queue
	ExitRefused     = 31  // refuses the message permanently (same-interface programs)
	ExitNoMem       = 51  // out of memory
	ExitTimeout     = 52  // the message or envelope took too long to arrive
	ExitWrite       = 53  // unable to write to the queue (disk full)
	ExitRead        = 54  // unable to read the message or envelope
	ExitConfig      = 55  // unable to read a configuration file
	ExitNetwork     = 56  // network problem (same-interface programs)
	ExitHome        = 61  // trouble in the qmail home
	ExitQueueDir    = 62  // trouble in queue/
	ExitPid         = 63  // trouble in queue/pid
	ExitMess        = 64  // trouble in queue/mess
	ExitIntd        = 65  // trouble in queue/intd
	ExitTodo        = 66  // trouble in queue/todo
	ExitTempRefused = 71  // refuses the message temporarily (same-interface programs)
	ExitConnTimeout = 72  // connection to a server timed out (same-interface programs)
	ExitConnRefused = 73  // connection to a server refused (same-interface programs)
	ExitConnFailed  = 74  // communication with a server failed (same-interface programs)
	ExitBug         = 81  // internal bug
	ExitCustom      = 82  // error text on fd 6 (same-interface programs)
	ExitEnvelope    = 91  // envelope format error
	ExitOldTooLong  = 115 // an old qmail-queue's ExitAddrTooLong (qmail.c reads it so)
	ExitNoExec      = 120 // qmail_open's child could not exec the program
)

// Error is an injection failure with the exit code qmail-queue gives it.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(code int, err error) error { return &Error{code, err} }

// Code returns the qmail-queue exit code for an error of Inject.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitBug
}
