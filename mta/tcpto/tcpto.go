// Package tcpto is qmail's memory of unresponsive hosts (qmail-tcpto(8),
// qmail-tcpok(8)): qmail-remote records each connection attempt that timed
// out in queue/lock/tcpto, and skips, for about an hour, an address that
// timed out at least twice in a row, so that a dead mail exchanger does not
// cost every delivery a full connect timeout.
//
// The IPv4 table keeps qmail 1.03's file layout, so that qmail's own
// qmail-tcpto reads it: 1024 bytes, 64 records of 16 bytes,
//
//	bytes 0-3   the IPv4 address, network order
//	byte  4     consecutive timeouts, 0 (free slot) to 10
//	bytes 5-7   zero
//	bytes 8-11  time of the last counted timeout, UNIX seconds, little-endian
//	bytes 12-15 zero
//
// IPv6 addresses, which qmail 1.03 never connected to, go to
// queue/lock/tcpto6 in the same layout widened to the address: 64 records
// of 28 bytes (address 0-15, count 16, time 20-23 little-endian), as
// skarnet's qmail-remote keeps them apart from the IPv4 file.
//
// The rules are qmail's tcpto.c:
//   - an address is skipped when its count is at least 2 and its last
//     timeout is less than (60 + (pid & 31)) * 64 seconds old, so that
//     parallel qmail-remote processes retry it at slightly different times;
//   - a timeout on a known address counts one more (at most 10) unless the
//     previous one was less than 120 seconds ago; a new address takes a free
//     slot, or else the slot whose time plus count*1024 seconds is oldest;
//   - a successful connection to a recorded address clears its count.
//
// Every access holds an exclusive flock on the file, as qmail's lock_ex
// does. A file shorter than its table (the queue is created with an empty
// one) reads as free slots; qmail would record nothing in it.
package tcpto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Slots is the number of records in each table (qmail's 1024/16).
const Slots = 64

// MaxErrors caps a record's count of consecutive timeouts.
const MaxErrors = 10

// Table is one tcpto file: the IPv4 one or the IPv6 one.
type Table struct {
	Path   string
	ipLen  int // 4 or 16
	recLen int // 16 or 28
}

// IPv4 returns the IPv4 table of the queue under qmailhome.
func IPv4(qmailhome string) Table {
	return Table{Path: filepath.Join(qmailhome, "queue", "lock", "tcpto"), ipLen: 4, recLen: 16}
}

// IPv6 returns the IPv6 table of the queue under qmailhome.
func IPv6(qmailhome string) Table {
	return Table{Path: filepath.Join(qmailhome, "queue", "lock", "tcpto6"), ipLen: 16, recLen: 28}
}

// For returns the table that holds ip.
func For(qmailhome string, ip netip.Addr) Table {
	if ip.Unmap().Is4() {
		return IPv4(qmailhome)
	}
	return IPv6(qmailhome)
}

// Size is the table's length in bytes.
func (t Table) Size() int { return Slots * t.recLen }

// Entry is one used record.
type Entry struct {
	IP     netip.Addr
	Errors int       // consecutive timeouts, 1-10
	When   time.Time // last counted timeout
}

// record is a view of one slot of the buffer.
type record struct {
	b     []byte
	ipLen int
}

func (r record) ip() []byte { return r.b[:r.ipLen] }
func (r record) count() int { return int(r.b[r.ipLen]) }
func (r record) setCount(n int) {
	r.b[r.ipLen] = byte(n)
}
func (r record) when() int64 {
	return int64(binary.LittleEndian.Uint32(r.b[r.ipLen+4 : r.ipLen+8]))
}
func (r record) setWhen(t int64) {
	binary.LittleEndian.PutUint32(r.b[r.ipLen+4:r.ipLen+8], uint32(t))
}

func (t Table) addrBytes(ip netip.Addr) []byte {
	ip = ip.Unmap()
	if t.ipLen == 4 {
		a := ip.As4()
		return a[:]
	}
	a := ip.As16()
	return a[:]
}

// locked opens the file, takes the exclusive lock and reads the table.
// The caller must close f. A missing file is created, empty, as
// qmail-tcpok would leave it.
func (t Table) locked() (f *os.File, buf []byte, err error) {
	f, err = os.OpenFile(t.Path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("unable to lock %s: %w", t.Path, err)
	}
	buf = make([]byte, t.Size())
	if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, nil, fmt.Errorf("unable to read %s: %w", t.Path, err)
	}
	return f, buf, nil
}

func (t Table) find(buf []byte, ip []byte) (int, record) {
	for i := 0; i < Slots; i++ {
		r := record{buf[i*t.recLen : (i+1)*t.recLen], t.ipLen}
		if string(r.ip()) == string(ip) {
			return i, r
		}
	}
	return -1, record{}
}

// skipWindow is how long after its last timeout a repeatedly unresponsive
// address is skipped by a process with this pid.
func skipWindow(pid int) int64 { return int64((60 + (pid & 31)) << 6) }

// Skip reports whether the process pid should not try ip at now. Any
// trouble with the file means "try it": the table is an optimisation.
func (t Table) Skip(ip netip.Addr, now time.Time, pid int) bool {
	f, buf, err := t.locked()
	if err != nil {
		return false
	}
	f.Close()
	_, r := t.find(buf, t.addrBytes(ip))
	if r.b == nil || r.count() < 2 {
		return false
	}
	return now.Unix()-r.when() < skipWindow(pid)
}

// Record notes the outcome of a connection attempt to ip: timedOut for a
// connect timeout, false for a connection that was made. Other failures
// (refused, unreachable) are not recorded, as in qmail.
func (t Table) Record(ip netip.Addr, timedOut bool, now time.Time) error {
	f, buf, err := t.locked()
	if err != nil {
		return err
	}
	defer f.Close()
	addr := t.addrBytes(ip)
	i, r := t.find(buf, addr)
	if i >= 0 {
		switch {
		case !timedOut && r.count() == 0:
			return nil
		case !timedOut:
			r.setCount(0)
		case r.count() > 0 && now.Unix() < r.when()+120:
			// A burst of timeouts counts once.
			return nil
		default:
			r.setCount(min(r.count()+1, MaxErrors))
			r.setWhen(now.Unix())
		}
		return t.write(f, i, r)
	}
	if !timedOut {
		return nil
	}
	i = t.victim(buf)
	r = record{buf[i*t.recLen : (i+1)*t.recLen], t.ipLen}
	clear(r.b)
	copy(r.ip(), addr)
	r.setCount(1)
	r.setWhen(now.Unix())
	return t.write(f, i, r)
}

// victim picks the slot for a new address: the first free one, else the
// one that will be forgotten soonest.
func (t Table) victim(buf []byte) int {
	best, bestWhen := -1, int64(0)
	for i := 0; i < Slots; i++ {
		r := record{buf[i*t.recLen : (i+1)*t.recLen], t.ipLen}
		if r.count() == 0 {
			return i
		}
		w := r.when() + int64(r.count())<<10
		if best < 0 || w < bestWhen {
			best, bestWhen = i, w
		}
	}
	return best
}

func (t Table) write(f *os.File, i int, r record) error {
	if _, err := f.WriteAt(r.b, int64(i*t.recLen)); err != nil {
		return fmt.Errorf("unable to write %s: %w", t.Path, err)
	}
	return nil
}

// Entries returns the used records in file order.
func (t Table) Entries() ([]Entry, error) {
	f, buf, err := t.locked()
	if err != nil {
		return nil, err
	}
	f.Close()
	var out []Entry
	for i := 0; i < Slots; i++ {
		r := record{buf[i*t.recLen : (i+1)*t.recLen], t.ipLen}
		if r.count() < 1 {
			continue
		}
		ip, _ := netip.AddrFromSlice(r.ip())
		out = append(out, Entry{IP: ip, Errors: r.count(), When: time.Unix(r.when(), 0)})
	}
	return out, nil
}

// Clear forgets every address: the file becomes a table of zero bytes, as
// qmail-tcpok writes it.
func (t Table) Clear() error {
	f, err := os.OpenFile(t.Path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("unable to lock %s: %w", t.Path, err)
	}
	if _, err := f.WriteAt(make([]byte, t.Size()), 0); err != nil {
		return fmt.Errorf("unable to clear %s: %w", t.Path, err)
	}
	return nil
}
