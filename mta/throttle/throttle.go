// Package throttle slows password guessing across sessions and
// processes. qmail-smtpd's SMTP AUTH and qmail-popup count each failed
// login under the client's address and under the account's name, and
// refuse further logins, for a time that grows with the count, without
// looking at the password. One session's own backoff cannot do this: 30
// sessions in parallel from one address each start fresh.
//
// The counts live in the qmail home's throttle/ directory, which
// quail-setup makes (no directory, no throttling: qmail's behaviour). It
// holds up to 256 bucket files of at most 64 records of 40 bytes each,
// so at most 640 KiB whatever the clients do. A record is found by a
// SHA-256 of its key, its bucket by the hash's first byte; each update
// takes an exclusive flock on the bucket file, so that processes under
// different users (qmail-smtpd as qmaild, qmail-popup as root) agree.
// A full bucket gives up the record whose last failure is oldest. Every
// hour without a failure forgives one, so a record empties on its own.
//
// Record layout, little-endian:
//
//	0..16   the first 16 bytes of SHA-256 of the key ("ip\x00ADDR" or "user\x00NAME")
//	16..20  failures (uint32); 0 marks a free record
//	20..24  zero
//	24..32  time of the last failure, Unix seconds
//	32..40  refused until, Unix seconds (0: not refused)
//
// Addresses in control/throttleallow (see ParseAllow) are neither
// counted nor refused. An IPv6 client is counted by its /64, which one
// subscriber usually has whole.
package throttle

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Dir is the state directory in the qmail home; AllowFile the allow
// list.
const (
	Dir       = "throttle"
	AllowFile = "control/throttleallow"
)

// Sizes of the state.
const (
	recordSize = 40
	perBucket  = 64
	buckets    = 256
)

// Policy is how failures turn into refusals for one kind of key.
type Policy struct {
	Free       int           // failures before the first refusal
	FirstBlock time.Duration // the first refusal's length; each further failure doubles it
	MaxBlock   time.Duration // the longest refusal
}

// Forgive is how long without a failure forgives one.
const Forgive = time.Hour

// The policies. An address gets ten failures, then a minute, two, four
// ... up to an hour. An account gets more, and at most a quarter of an
// hour, since anyone who knows its name can make it fail: that refusal
// protects against guessing spread over many addresses, at the price of
// locking the owner out for a while.
var (
	AddressPolicy = Policy{Free: 10, FirstBlock: time.Minute, MaxBlock: time.Hour}
	AccountPolicy = Policy{Free: 30, FirstBlock: time.Minute, MaxBlock: 15 * time.Minute}
)

// MaxDelay bounds the delay before a failed login is answered: a second
// for each of the address's failures, up to this. Refusals, not delays,
// stop guessers, who have parallel sessions; the delay keeps each
// session's guesses slow and costs one sleeping process.
const MaxDelay = 8 * time.Second

// Throttle is the login throttle of one qmail home.
type Throttle struct {
	dir       string
	allowPath string
	now       func() time.Time
	allow     []netip.Prefix
	loaded    bool
}

// New is the throttle of the qmail home; now is the clock (time.Now).
// Nothing is read until it is used.
func New(home string, now func() time.Time) *Throttle {
	return &Throttle{dir: filepath.Join(home, Dir), allowPath: filepath.Join(home, AllowFile), now: now}
}

// Decision is what the throttle says about a login.
type Decision struct {
	Refused  bool          // refuse without checking the password
	By       string        // "address" or "account": the key that decided
	Failures int           // that key's failures
	Retry    time.Duration // Refused: how long the refusal lasts from now
	// Blocked (from Failed): this failure started a refusal of Retry.
	Blocked bool
	// Delay (from Failed): how long to wait before answering.
	Delay time.Duration
}

// ErrBadAllow is wrapped by errors about control/throttleallow lines.
var ErrBadAllow = errors.New("bad line in control/throttleallow")

// record is one decoded record.
type record struct {
	key      [16]byte
	failures uint32
	last     int64
	until    int64
}

func keyFor(kind, value string) [16]byte {
	sum := sha256.Sum256([]byte(kind + "\x00" + value))
	var k [16]byte
	copy(k[:], sum[:16])
	return k
}

// addressKey is the client's address as counted: IPv4 as is, IPv6 by
// its /64; "" for no usable address.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// effective is the record's failures after forgiveness.
func (r record) effective(now int64) int {
	n := int64(r.failures)
	if n > 0 && now > r.last {
		n -= (now - r.last) / int64(Forgive/time.Second)
	}
	return int(max(n, 0))
}

// blockFor is the refusal that the n-th failure starts.
func (p Policy) blockFor(n int) time.Duration {
	if n < p.Free {
		return 0
	}
	d := p.FirstBlock
	for i := p.Free; i < n && d < p.MaxBlock; i++ {
		d *= 2
	}
	return min(d, p.MaxBlock)
}

// enabled says whether the state directory exists, and loads the allow
// list on first use. The error is a warning: an allow list that cannot
// be read, or a line of it that cannot be parsed (the other lines still
// count).
func (t *Throttle) enabled() (bool, error) {
	if t == nil {
		return false, nil
	}
	if _, err := os.Stat(t.dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("unable to read %s: %w", t.dir, err)
	}
	if t.loaded {
		return true, nil
	}
	t.loaded = true
	b, err := os.ReadFile(t.allowPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true, fmt.Errorf("unable to read %s: %w", AllowFile, err)
	}
	var bad error
	t.allow, bad = ParseAllow(string(b))
	return true, bad
}

func (t *Throttle) allowed(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range t.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// key is one record a login touches, with its policy.
type key struct {
	by string // "address" or "account"
	id [16]byte
	p  Policy
}

func (t *Throttle) keys(ip, user string) []key {
	var out []key
	if a := addressKey(ip); a != "" {
		out = append(out, key{"address", keyFor("ip", a), AddressPolicy})
	}
	if user != "" {
		out = append(out, key{"account", keyFor("user", user), AccountPolicy})
	}
	return out
}

// Check says whether a login from ip for user may be checked at all. It
// changes nothing. An error (the state cannot be read) comes with a
// Decision that lets the login through: the throttle fails open.
func (t *Throttle) Check(ip, user string) (Decision, error) {
	on, err := t.enabled()
	if !on || t.allowed(ip) {
		return Decision{}, err
	}
	now := t.now().Unix()
	for _, k := range t.keys(ip, user) {
		var r record
		var found bool
		ferr := t.update(k.id, func(rec *record, ok bool) bool {
			r, found = *rec, ok
			return false
		})
		if ferr != nil {
			return Decision{}, ferr
		}
		if found && r.until > now {
			return Decision{Refused: true, By: k.by, Failures: r.effective(now), Retry: time.Duration(r.until-now) * time.Second}, err
		}
	}
	return Decision{}, err
}

// Failed counts a refused login. The Decision says how long to wait
// before answering and whether this failure started a refusal (and by
// which key).
func (t *Throttle) Failed(ip, user string) (Decision, error) {
	on, err := t.enabled()
	if !on || t.allowed(ip) {
		return Decision{}, err
	}
	now := t.now().Unix()
	var d Decision
	for _, k := range t.keys(ip, user) {
		var n int
		var block time.Duration
		ferr := t.update(k.id, func(rec *record, ok bool) bool {
			n = rec.effective(now) + 1
			block = k.p.blockFor(n)
			*rec = record{key: k.id, failures: uint32(n), last: now}
			if block > 0 {
				rec.until = now + int64(block/time.Second)
			}
			return true
		})
		if ferr != nil {
			return Decision{}, ferr
		}
		if k.by == "address" {
			d.Delay = min(time.Duration(n)*time.Second, MaxDelay)
			d.Failures = n
		}
		if block > 0 && !d.Blocked {
			d.Blocked, d.By, d.Failures, d.Retry = true, k.by, n, block
		}
	}
	return d, err
}

// Succeeded forgets the account's failures: its owner is in. The
// address keeps its count, which a guesser who owns one account could
// otherwise clear.
func (t *Throttle) Succeeded(ip, user string) error {
	on, err := t.enabled()
	if !on || t.allowed(ip) || user == "" {
		return err
	}
	ferr := t.update(keyFor("user", user), func(rec *record, ok bool) bool {
		if !ok {
			return false
		}
		*rec = record{}
		return true
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// update finds key's record in its bucket under an exclusive lock and
// calls fn with it (ok false: a fresh record). When fn returns true the
// record is written back: in its own place, in a free or emptied place,
// or in place of the record with the oldest failure.
func (t *Throttle) update(key [16]byte, fn func(r *record, ok bool) bool) error {
	name := filepath.Join(t.dir, fmt.Sprintf("%02x", key[0]))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("unable to open %s: %w", name, err)
	}
	defer f.Close()
	if err := chownLikeDir(f, t.dir); err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("unable to lock %s: %w", name, err)
	}
	buf := make([]byte, perBucket*recordSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("unable to read %s: %w", name, err)
	}
	recs := decodeBucket(buf[:n])
	now := t.now().Unix()
	slot, found := -1, false
	for i, r := range recs {
		if r.failures != 0 && r.key == key {
			slot, found = i, true
			break
		}
	}
	var r record
	if found {
		r = recs[slot]
	}
	if !fn(&r, found) {
		return nil
	}
	if !found {
		slot = pickSlot(recs, now)
	}
	out := encodeRecord(r)
	if _, err := f.WriteAt(out[:], int64(slot)*recordSize); err != nil {
		return fmt.Errorf("unable to write %s: %w", name, err)
	}
	return nil
}

// pickSlot is where a new record goes: the first free or forgotten one,
// else one past the end while the bucket has room, else the record
// whose last failure is oldest.
func pickSlot(recs []record, now int64) int {
	oldest := -1
	for i, r := range recs {
		if r.effective(now) == 0 && r.until <= now {
			return i
		}
		if oldest < 0 || r.last < recs[oldest].last {
			oldest = i
		}
	}
	if len(recs) < perBucket {
		return len(recs)
	}
	return oldest
}

// decodeBucket reads the whole records of a bucket file; a torn last
// record (a crash while the file grew) is ignored.
func decodeBucket(b []byte) []record {
	n := min(len(b)/recordSize, perBucket)
	recs := make([]record, n)
	for i := range recs {
		p := b[i*recordSize:]
		copy(recs[i].key[:], p[:16])
		recs[i].failures = binary.LittleEndian.Uint32(p[16:])
		recs[i].last = int64(binary.LittleEndian.Uint64(p[24:]))
		recs[i].until = int64(binary.LittleEndian.Uint64(p[32:]))
	}
	return recs
}

func encodeRecord(r record) [recordSize]byte {
	var b [recordSize]byte
	copy(b[:16], r.key[:])
	binary.LittleEndian.PutUint32(b[16:], r.failures)
	binary.LittleEndian.PutUint64(b[24:], uint64(r.last))
	binary.LittleEndian.PutUint64(b[32:], uint64(r.until))
	return b
}

// chownLikeDir gives a bucket file that root just made to the owner of
// the directory, so that qmail-smtpd (qmaild) can still update what
// qmail-popup (root) created.
func chownLikeDir(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid != 0 {
		return nil
	}
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	ds, ok := di.Sys().(*syscall.Stat_t)
	if !ok || ds.Uid == 0 {
		return nil
	}
	return f.Chown(int(ds.Uid), int(ds.Gid))
}
