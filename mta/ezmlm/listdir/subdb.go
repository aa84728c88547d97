package listdir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/djberr"
)

// MaxAddress is the longest subscriber address ezmlm stores (ezmlm(5):
// "any string of non-NUL characters up to 400 bytes long").
const MaxAddress = 400

// Files is the number of hashed files of a subscriber list, named '@'
// (64) through 't' (116).
const Files = 53

// DB is one subscriber database: the subscribers/ directory of the list
// itself or of one of its address lists (digest, mod, allow, deny),
// with the lock and Log beside it.
//
// An address is kept in the file named by the hash of "T" and the
// address with its host in lower case, as ezmlm-idx 7 keeps it: each
// entry is 'T', the address, NUL. The hash is djb's (h = 5381;
// h = (h + h<<5) ^ byte, mod 53) over the address all in lower case,
// in 64-bit arithmetic (ezmlm-idx's unsigned long on today's hosts).
// Lookups also look where older lists put an address: under the hash
// of its mixed-case form (ezmlm 0.53 kept the local part's case) and
// under the 32-bit hash (ezmlm 0.53's uint32, ezmlm-idx on 32-bit
// hosts); an address found there is moved to the current file by the
// next subscription and removed from every file by an unsubscription.
type DB struct {
	Dir string // the directory holding subscribers/, lock and Log
	Now func() time.Time
}

// DB returns the subscriber database named name: "" or "." for the
// list's own subscribers, "digest", "mod", "allow", "deny" or another
// subdirectory of the list, or an absolute directory (the moddir an
// older modpost, modsub or remote file names).
func (l *List) DB(name string) *DB {
	if filepath.IsAbs(name) {
		return &DB{Dir: name}
	}
	return &DB{Dir: filepath.Join(l.Dir, name)}
}

// AddressError is a refused address: permanent.
type AddressError struct{ Why string }

func (e *AddressError) Error() string { return e.Why }

// record is an address as stored, and its lower-case form.
type record struct {
	stored string // "T" + address with the host in lower case
	lower  string // "T" + address all in lower case
}

func makeRecord(addr string) (record, error) {
	switch {
	case strings.IndexByte(addr, '\n') >= 0:
		return record{}, &AddressError{"address contains newline"}
	case strings.IndexByte(addr, 0) >= 0:
		return record{}, &AddressError{"address contains NUL"}
	case len(addr) > MaxAddress:
		return record{}, &AddressError{"address is too long"}
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return record{}, &AddressError{"address does not contain @"}
	}
	stored := "T" + addr[:at+1] + lowerASCII(addr[at+1:])
	return record{stored: stored, lower: "T" + lowerASCII(addr)}, nil
}

// hash64 and hash32 are subhash in the two widths.
func hash64(s string) byte {
	h := uint64(5381)
	for i := 0; i < len(s); i++ {
		h = (h + h<<5) ^ uint64(s[i])
	}
	return byte(64 + h%Files)
}

func hash32(s string) byte {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = (h + h<<5) ^ uint32(s[i])
	}
	return byte(64 + h%Files)
}

// HashFile is the name of the file a new subscription of addr goes to.
func HashFile(addr string) (byte, error) {
	r, err := makeRecord(addr)
	if err != nil {
		return 0, err
	}
	return hash64(r.lower), nil
}

// places are the files an address may be in, the current one first.
func (r record) places() []byte {
	var out []byte
	for _, c := range []byte{hash64(r.lower), hash64(r.stored), hash32(r.lower), hash32(r.stored)} {
		if bytes.IndexByte(out, c) < 0 {
			out = append(out, c)
		}
	}
	return out
}

func (db *DB) file(c byte) string {
	return filepath.Join(db.Dir, "subscribers", string(rune(c)))
}

// readFile returns the entries of one hashed file ('T' and address,
// without the NUL); a missing file is empty.
func (db *DB) readFile(c byte) ([]string, error) {
	p := db.file(c)
	b, err := readLimited(p)
	if IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			break // an unterminated tail is not an entry, as getln's !match
		}
		out = append(out, string(b[:i]))
		b = b[i+1:]
	}
	return out, nil
}

func (db *DB) writeFile(c byte, entries []string) error {
	var b bytes.Buffer
	for _, e := range entries {
		b.WriteString(e)
		b.WriteByte(0)
	}
	p := db.file(c)
	return WriteAtomic(p, p+"n", b.Bytes(), 0o644)
}

func find(entries []string, r record) int {
	for i, e := range entries {
		if len(e) == len(r.lower) && e[0] == 'T' && lowerASCII(e[1:]) == r.lower[1:] {
			return i
		}
	}
	return -1
}

// IsSub says whether addr is on the list, case-insensitively, and
// returns the address as it was recorded.
func (db *DB) IsSub(addr string) (string, bool, error) {
	r, err := makeRecord(addr)
	if err != nil {
		var ae *AddressError
		if errors.As(err, &ae) {
			return "", false, nil // ezmlm's issub: such an address is no subscriber
		}
		return "", false, err
	}
	for _, c := range r.places() {
		entries, err := db.readFile(c)
		if err != nil {
			return "", false, err
		}
		if i := find(entries, r); i >= 0 {
			return entries[i][1:], true, nil
		}
	}
	return "", false, nil
}

// Add subscribes addr; it says whether the address is new. event and
// comment go to the Log ("+", "+manual", "+mod"; the From field of the
// request).
func (db *DB) Add(addr, event, comment string) (bool, error) {
	return db.change(addr, true, event, comment)
}

// Remove unsubscribes addr; it says whether the address was there.
func (db *DB) Remove(addr, event string) (bool, error) {
	return db.change(addr, false, event, "")
}

func (db *DB) change(addr string, add bool, event, comment string) (bool, error) {
	r, err := makeRecord(addr)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Join(db.Dir, "subscribers"), 0o755); err != nil {
		return false, djberr.Wrap("unable to create "+filepath.Join(db.Dir, "subscribers"), err)
	}
	lock, err := LockFile(filepath.Join(db.Dir, "lock"))
	if err != nil {
		return false, err
	}
	defer lock.Unlock()
	was := false
	for n, c := range r.places() {
		entries, err := db.readFile(c)
		if err != nil {
			return false, err
		}
		i := find(entries, r)
		if i >= 0 {
			was = true
		}
		switch {
		case n == 0 && add && i < 0:
			entries = append(entries, r.stored)
		case i >= 0 && !(n == 0 && add):
			entries = append(entries[:i:i], entries[i+1:]...)
		default:
			continue
		}
		if err := db.writeFile(c, entries); err != nil {
			return false, err
		}
	}
	changed := add != was
	if changed {
		db.log(event, r.stored[1:], comment)
	}
	return changed, nil
}

// log appends "time event address[ comment]" to Log, as ezmlm-idx's
// logaddr: bytes outside 33-126 of the address become '?', tabs in the
// comment spaces and other control bytes '?'. The Log is advisory: it is
// not fsync'd, and a failure to write it is ignored (ezmlm(5)).
func (db *DB) log(event, addr, comment string) {
	now := time.Now
	if db.Now != nil {
		now = db.Now
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(now().Unix(), 10))
	b.WriteString(" " + event + " ")
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if c < 33 || c > 126 {
			c = '?'
		}
		b.WriteByte(c)
	}
	if comment != "" {
		b.WriteByte(' ')
		for i := 0; i < len(comment); i++ {
			c := comment[i]
			switch {
			case c == '\t':
				c = ' '
			case c < 32 || c > 126:
				c = '?'
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('\n')
	f, err := os.OpenFile(filepath.Join(db.Dir, "Log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	f.WriteString(b.String())
	f.Close()
}

// Each calls fn with every address of the hashed files lo through hi
// ('@'+lo to '@'+hi; 0 and 52 for all), in file order, and returns how
// many there were.
func (db *DB) Each(lo, hi int, fn func(addr string) error) (int, error) {
	if hi >= Files {
		hi = Files - 1
	}
	if lo > hi {
		lo = hi
	}
	n := 0
	for i := lo; i <= hi; i++ {
		entries, err := db.readFile(byte(64 + i))
		if err != nil {
			return n, err
		}
		for _, e := range entries {
			if len(e) < 1 {
				continue
			}
			if err := fn(e[1:]); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// All is every address of the database.
func (db *DB) All() ([]string, error) {
	var out []string
	_, err := db.Each(0, Files-1, func(a string) error { out = append(out, a); return nil })
	return out, err
}

// Exists says whether the database has a subscribers directory.
func (db *DB) Exists() bool {
	st, err := os.Stat(filepath.Join(db.Dir, "subscribers"))
	return err == nil && st.IsDir()
}

func (db *DB) String() string { return fmt.Sprintf("%s/subscribers", db.Dir) }

// lowerASCII folds ASCII capitals only, as ezmlm's case_lowerb.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
