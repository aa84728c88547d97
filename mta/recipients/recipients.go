// Package recipients answers, while an SMTP client is still connected,
// whether an address can be delivered here, so that mail to a forged or
// mistyped address is refused at RCPT time instead of being accepted and
// bounced later (backscatter).
//
// control/recipients lists the sources to ask, in order:
//
//	users/recipients.cdb       a cdb built by qmail-recipients (path
//	                           relative to the qmail home, or absolute)
//	|qmail-rcptcheck           a program of the checkpassword interface
//	                           with its arguments
//
// A cdb source is responsible for the domains it lists; it knows each
// address of such a domain, or the whole domain as "@domain". A program
// gets "address\0\0\0" on descriptor 3 and exits 0 (the address exists),
// 1 (it does not), 2 (not responsible for it: ask the next source) or 111
// (try again later). An address no source is responsible for is accepted:
// rcpthosts has already said the domain is ours or relaying is allowed.
package recipients

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/control"
)

// Verdict is what the sources say of an address.
type Verdict int

const (
	Unknown   Verdict = iota // no source is responsible
	Exists                   // a source knows the address
	NoMailbox                // the responsible source does not know it
	Temporary                // a source could not answer
)

// Source is one line of control/recipients.
type Source struct {
	CDB     string   // path of a cdb, or
	Program []string // a program and its arguments
}

// Load reads control/recipients; nil when the file does not exist.
func Load(home string) ([]Source, error) {
	lines, err := control.Open(home).Lines("recipients")
	if err != nil || lines == nil {
		return nil, err
	}
	var out []Source
	for _, l := range lines {
		if prog, ok := strings.CutPrefix(l, "|"); ok {
			argv := strings.Fields(prog)
			if len(argv) == 0 {
				return nil, fmt.Errorf("control/recipients: empty program line")
			}
			if !strings.Contains(argv[0], "/") {
				argv[0] = filepath.Join(home, "bin", argv[0])
			}
			out = append(out, Source{Program: argv})
			continue
		}
		p := strings.TrimSpace(l)
		if !filepath.IsAbs(p) {
			p = filepath.Join(home, p)
		}
		out = append(out, Source{CDB: p})
	}
	return out, nil
}

// Check asks the sources about addr. env is the environment for programs.
func Check(sources []Source, addr string, env []string) (Verdict, error) {
	addr = strings.ToLower(addr)
	for _, s := range sources {
		var v Verdict
		var err error
		if s.CDB != "" {
			v, err = checkCDB(s.CDB, addr)
		} else {
			v, err = checkProgram(s.Program, addr, env)
		}
		if err != nil || v != Unknown {
			return v, err
		}
	}
	return Unknown, nil
}

// Keys used in the cdb (all lowercase):
//
//	"local@domain"  the address exists
//	"@domain"       every address at domain exists
//	":domain"       the cdb is responsible for domain
const (
	domainMarker = ":"
)

func checkCDB(path, addr string) (Verdict, error) {
	db, err := cdb.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Unknown, nil
	}
	if err != nil {
		return Temporary, fmt.Errorf("unable to open %s: %w", path, err)
	}
	defer db.Close()
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Unknown, nil
	}
	domain := addr[at+1:]
	if v, err := db.Get([]byte(domainMarker + domain)); err != nil {
		return Temporary, err
	} else if v == nil {
		return Unknown, nil
	}
	for _, k := range []string{addr, addr[at:]} {
		v, err := db.Get([]byte(k))
		if err != nil {
			return Temporary, err
		}
		if v != nil {
			return Exists, nil
		}
	}
	return NoMailbox, nil
}

func checkProgram(argv []string, addr string, env []string) (Verdict, error) {
	verdict, code, err := checkpw.CheckCode(argv, env, []byte(addr), nil, nil)
	switch {
	case verdict == checkpw.Good:
		return Exists, nil
	case code == 2:
		return Unknown, nil
	case verdict == checkpw.Bad:
		return NoMailbox, nil
	}
	return Temporary, err
}

// Build compiles the text file users/recipients of home into
// users/recipients.cdb.
func Build(home string) error {
	src := filepath.Join(home, "users", "recipients")
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("unable to read %s: %w", src, err)
	}
	keys, err := Compile(strings.Split(string(b), "\n"))
	if err != nil {
		return &parseError{fmt.Errorf("unable to parse %s: %w", src, err)}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	return cdbmake.WriteFile(src+".cdb", func(add func(k, v []byte) error) error {
		for _, k := range sorted {
			if err := add([]byte(k), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Compile turns the lines of users/recipients (addresses, "@domain" for a
// whole domain, comments) into cdb records.
func Compile(lines []string) (map[string]bool, error) {
	keys := map[string]bool{}
	for n, l := range lines {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		at := strings.LastIndexByte(l, '@')
		if at < 0 || at == len(l)-1 || strings.ContainsAny(l, " \t") {
			return nil, fmt.Errorf("line %d: %q is not an address or @domain", n+1, l)
		}
		keys[l] = true
		keys[domainMarker+l[at+1:]] = true
	}
	return keys, nil
}

type parseError struct{ err error }

func (e *parseError) Error() string { return e.err.Error() }
func (e *parseError) Unwrap() error { return e.err }

func isParse(err error) bool {
	var pe *parseError
	return errors.As(err, &pe)
}
