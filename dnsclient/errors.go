package dnsclient

import (
	"context"
	"errors"
	"net"
)

// ErrNotFound is the permanent negative answer: the name does not exist
// (NXDOMAIN) or has no records of the type asked for.
var ErrNotFound = errors.New("no such name or no data")

// ErrNXDomain and ErrNoData tell the two kinds of ErrNotFound apart, for
// the programs that care (an MX lookup falls back to the address only when
// the name exists); errors.Is(err, ErrNotFound) holds for both.
var (
	ErrNXDomain error = &notFound{"no such name"}
	ErrNoData   error = &notFound{"no data of that type"}
)

type notFound struct{ text string }

func (e *notFound) Error() string { return e.text }
func (e *notFound) Unwrap() error { return ErrNotFound }

// ErrInvalidName reports a name that cannot be put in a query (an empty
// label, a label over 63 bytes, a name over 253 bytes, a backslash, a
// control character or a space). It is permanent.
var ErrInvalidName = errors.New("invalid domain name")

// Failures that are temporary: the lookup may succeed later.
var (
	ErrServerFailure = errors.New("server failure")
	ErrNoAnswer      = errors.New("no usable answer from any server")
	ErrCNAMELoop     = errors.New("CNAME chain too long")
)

// Error describes a failed lookup.
type Error struct {
	Name      string // the name looked up, as given
	Type      string // the record type, such as "MX"
	Err       error  // ErrNotFound, ErrInvalidName or the temporary cause
	temporary bool
}

func (e *Error) Error() string {
	return "lookup " + e.Type + " " + e.Name + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether asking again later may succeed.
func (e *Error) Temporary() bool { return e.temporary }

// IsTemporary reports whether err is a failure that may go away: a timeout,
// SERVFAIL, REFUSED, servers that could not be reached, a cancelled
// context. ErrNotFound and ErrInvalidName are permanent; so is nil.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.temporary
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
