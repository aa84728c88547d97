package srs

import "errors"

// The ways an address can fail. A syntax error is a *SyntaxError;
// errors.Is(err, ErrSyntax) tells it.
var (
	ErrNotSRS    = errors.New("not an SRS address")
	ErrNoSecrets = errors.New("no SRS secret configured")
	ErrNoAt      = errors.New("sender address has no @")
	ErrSyntax    = errors.New("malformed SRS address")
	ErrHashShort = errors.New("SRS hash too short")
	ErrBadHash   = errors.New("SRS hash does not match")
	ErrExpired   = errors.New("SRS address has expired")
)

// SyntaxError says what is missing from a malformed SRS address.
type SyntaxError struct{ What string }

func (e *SyntaxError) Error() string { return e.What }

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

func syntaxError(what string) error { return &SyntaxError{what} }

// Invalid says whether err is a verdict on the address (forged, damaged
// or expired) rather than on the configuration.
func Invalid(err error) bool {
	return errors.Is(err, ErrSyntax) || errors.Is(err, ErrHashShort) || errors.Is(err, ErrBadHash) || errors.Is(err, ErrExpired)
}
