package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"

	"github.com/colinmarc/cdb"
)

// Query describes the connection being looked up.
type Query struct {
	// IP is the remote address in the text form tcpserver puts in
	// TCPREMOTEIP: dotted IPv4, or compact IPv6 as ucspi-tcp-ipv6 prints
	// it (FormatIP gives that text, which differs from netip's String for
	// some IPv6 addresses). The caller converts v4-mapped peers to dotted
	// IPv4.
	IP string
	// Host is the remote host name; "" means unknown.
	Host string
	// Info is the remote IDENT answer; "" means unknown.
	Info string
}

// Var is one environment variable a rule sets. An empty Value sets the
// variable to the empty string; it never unsets it.
type Var struct{ Name, Value string }

// Decision is the outcome of a lookup.
type Decision struct {
	Found bool   // a rule matched; otherwise the connection is allowed with no variables
	Key   string // the cdb key of the rule that matched
	Deny  bool
	Env   []Var // in the order the rule lists them
}

// LookupFile opens the cdb at path, looks q up and closes it, as tcpserver
// does once per connection so that a rebuilt cdb applies at once. A missing
// file gives an error satisfying errors.Is(err, fs.ErrNotExist); every
// error carries the errno djb's cdb code would leave (see cdbError).
func LookupFile(path string, q Query) (Decision, error) {
	f, err := os.Open(path)
	if err != nil {
		return Decision{}, err
	}
	defer f.Close()
	db, err := cdb.New(f, nil)
	if err != nil {
		return Decision{}, cdbError(f, err)
	}
	d, err := Lookup(db, q)
	if err != nil {
		return Decision{}, cdbError(f, err)
	}
	return d, nil
}

// cdbError is err, from reading the cdb open on f, as the errno that djb's
// cdb_read leaves: a read past the end of the file is a format error,
// EPROTO ("protocol error"), except in an empty file, which cdb_init fails
// to map, leaving mmap's EINVAL ("invalid argument"); Debian's tcpserver
// and tcprulescheck report those two.
func cdbError(f *os.File, err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if fi, serr := f.Stat(); serr == nil && fi.Size() == 0 {
		return syscall.EINVAL
	}
	return syscall.EPROTO
}

// Lookup tries the keys for q in tcpserver's order and decodes the first
// rule found. An IP that parses as an address is first rewritten with
// FormatIP, so v4-mapped and RFC 5952 texts find the same rules as the
// text Debian's tcpserver uses. The order:
//
//  1. INFO@IP and 2. INFO@=HOST (when the IDENT answer is known),
//  3. IP, 4. =HOST,
//  5. each prefix of IP ending in '.' or ':', longest first,
//  6. CIDR rules containing IP, longest prefix first (our extension),
//  7. =.SUFFIX for each '.' in HOST, longest first, 8. "=" (host known),
//  9. the empty key.
func Lookup(db *cdb.CDB, q Query) (Decision, error) {
	var host, info *string
	if q.Host != "" {
		host = &q.Host
	}
	if q.Info != "" {
		info = &q.Info
	}
	key, value, found, err := find(db.Get, lookupIP(q.IP), host, info)
	if err != nil || !found {
		return Decision{}, err
	}
	return decode(key, value), nil
}

// lookupIP rewrites an address in the text Debian's tcpserver uses, so a
// caller that wrote an IPv6 peer with netip's String (RFC 5952) still gets
// the keys tcpserver would try. Text that is not an address stays as it is.
func lookupIP(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return FormatIP(a)
	}
	return ip
}

// find walks the key order, reading keys through get (a cdb's Get). host
// and info are nil when unknown: tcprulescheck can be told an empty but
// known host through an empty TCPREMOTEHOST, which then takes part in the
// lookup as 0.88 does.
func find(get func(key []byte) ([]byte, error), ip string, host, info *string) (key string, value []byte, found bool, err error) {
	try := func(k string) bool {
		if err != nil {
			return false
		}
		var v []byte
		v, err = get([]byte(k))
		if err != nil {
			err = fmt.Errorf("look up rule %q: %w", k, err)
			return false
		}
		// colinmarc/cdb returns nil only for a missing key; an empty
		// value (allow, no variables) is a non-nil empty slice.
		if v == nil {
			return false
		}
		key, value, found = k, v, true
		return true
	}

	if info != nil {
		if try(*info + "@" + ip) {
			return
		}
		if host != nil && try(*info+"@="+*host) {
			return
		}
	}
	if try(ip) {
		return
	}
	if host != nil && try("="+*host) {
		return
	}
	for n := len(ip); n > 0; n-- {
		if c := ip[n-1]; (c == '.' || c == ':') && try(ip[:n]) {
			return
		}
	}
	if ok, ierr := cidrFind(get, ip, try); ok || ierr != nil {
		if ierr != nil && err == nil {
			err = ierr
		}
		return
	}
	if host != nil {
		h := *host
		for i := 0; i < len(h); i++ {
			if h[i] == '.' && try("="+h[i:]) {
				return
			}
		}
		if try("=") {
			return
		}
	}
	try("")
	return
}

// cidrFind tries the CIDR keys for ip, longest prefix first, consulting the
// index key so that a cdb without CIDR rules costs one extra probe.
func cidrFind(get func(key []byte) ([]byte, error), ip string, try func(string) bool) (bool, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, nil
	}
	addr = addr.WithZone("")
	idx, err := get([]byte(cidrIndexKey))
	if err != nil {
		return false, fmt.Errorf("look up the CIDR index: %w", err)
	}
	for _, bits := range parseCIDRIndex(idx, addr.Is4()) {
		p, err := addr.Prefix(bits)
		if err != nil {
			continue
		}
		if try(cidrKey(p)) {
			return true, nil
		}
	}
	return false, nil
}

// decode turns a cdb value into a Decision the way tcpserver applies it:
// every NUL-terminated record is read; "D" denies, "+VAR=value" sets a
// variable, anything else (and a "+" record without '=') is ignored, as are
// trailing bytes that lack their NUL.
func decode(key string, value []byte) Decision {
	d := Decision{Found: true, Key: key}
	for _, rec := range records(value) {
		switch {
		case len(rec) > 0 && rec[0] == 'D':
			d.Deny = true
		case len(rec) > 0 && rec[0] == '+':
			for i := 1; i < len(rec); i++ {
				if rec[i] == '=' {
					d.Env = append(d.Env, Var{Name: string(rec[1:i]), Value: string(rec[i+1:])})
					break
				}
			}
		}
	}
	return d
}

// records splits a value into its NUL-terminated records.
func records(value []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.IndexByte(value, 0)
		if i < 0 {
			return out
		}
		out = append(out, value[:i])
		value = value[i+1:]
	}
}
