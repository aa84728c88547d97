// Package rcpthosts is qmail's rcpthosts.c: whether the servers that
// take mail from the network (qmail-smtpd, qmail-qmtpd) accept mail for
// a domain, by control/rcpthosts and control/morercpthosts.cdb
// (qmail-smtpd(8), qmail-control(5), qmail-newmrh(8)).
//
// A domain is accepted when either file lists it, or one of its
// ".suffix" forms (".example.com" accepts every name below
// example.com); names are compared in lower case. Without
// control/rcpthosts and morercpthosts.cdb every domain is accepted, as
// qmail-smtpd(8) says: no rcpthosts, no restriction.
package rcpthosts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/mta/control"
)

// Hosts is what a server read of the two files at start.
type Hosts struct {
	list map[string]bool // control/rcpthosts; nil when there is none
	more string          // path of morercpthosts.cdb, "" when there is none
}

// Load reads control/rcpthosts and finds control/morercpthosts.cdb, as
// rcpthosts_init does: a file that exists but cannot be opened is an
// error (the server answers 421 then). The cdb is read at each lookup,
// so that qmail-newmrh's new one counts at once.
func Load(ctl control.Dir) (*Hosts, error) {
	lines, present, err := ctl.List("rcpthosts")
	if err != nil {
		return nil, err
	}
	h := &Hosts{}
	if present {
		h = New(lines)
	}
	more := filepath.Join(ctl.Path, "morercpthosts.cdb")
	f, err := os.Open(more)
	switch {
	case err == nil:
		f.Close()
		h.more = more
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("unable to read %s: %w", more, err)
	}
	return h, nil
}

// New is a control/rcpthosts of lines and no morercpthosts.cdb.
func New(lines []string) *Hosts {
	h := &Hosts{list: make(map[string]bool, len(lines))}
	for _, l := range lines {
		h.list[strings.ToLower(l)] = true
	}
	return h
}

// Has says whether control/rcpthosts lists key exactly (in lower case).
func (h *Hosts) Has(key string) bool { return h != nil && h.list[key] }

// Allowed is qmail's rcpthosts(): whether domain, or one of its
// ".suffix" forms, is in rcpthosts or morercpthosts.cdb. The error is
// the cdb's, which qmail treats as die_control.
func (h *Hosts) Allowed(domain string) (bool, error) {
	if h == nil || h.list == nil && h.more == "" {
		return true, nil
	}
	domain = strings.ToLower(domain)
	candidates := []string{domain}
	for i := 0; i < len(domain); i++ {
		if domain[i] == '.' {
			candidates = append(candidates, domain[i:])
		}
	}
	for _, k := range candidates {
		if h.list[k] {
			return true, nil
		}
	}
	if h.more == "" {
		return false, nil
	}
	db, err := cdb.Open(h.more)
	if err != nil {
		return false, err
	}
	defer db.Close()
	for _, k := range candidates {
		v, err := db.Get([]byte(k))
		if err != nil {
			return false, err
		}
		if v != nil {
			return true, nil
		}
	}
	return false, nil
}
