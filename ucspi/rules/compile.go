package rules

import (
	"io"
	"net/netip"

	"github.com/quail-mta/quail/internal/cdbmake"
)

// Compile reads rules text from r and writes the cdb to dst, keys in line
// order (range keys in ascending order), followed by the CIDR index when any
// CIDR rule exists. Errors from Parse come back unchanged; errors writing dst
// are wrapped in *WriteError.
func Compile(r io.Reader, dst io.WriterAt) error {
	w := cdbmake.New(dst)
	used := map[netip.Prefix]bool{}
	err := Parse(r, func(rule Rule) error {
		for _, k := range rule.Keys {
			if err := w.Add([]byte(k), rule.Value); err != nil {
				return &WriteError{err}
			}
		}
		for _, p := range rule.CIDR {
			used[p] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(used) > 0 {
		if err := w.Add([]byte(cidrIndexKey), cidrIndex(used)); err != nil {
			return &WriteError{err}
		}
	}
	if err := w.Finish(); err != nil {
		return &WriteError{err}
	}
	return nil
}

// WriteError is a failure writing the cdb, as opposed to reading or parsing
// the rules.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }
