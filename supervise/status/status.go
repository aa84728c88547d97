// Package status reads and writes the files a supervise process keeps in a
// service's supervise/ directory: the 18-byte status record of daemontools
// 0.76 (supervise(8), svstat(8)) and quail's readiness stamp, which lives in
// a separate file so that the status record stays byte-compatible with every
// daemontools reader.
//
// The status record, as daemontools 0.76 writes it:
//
//	bytes  0-7   TAI64 seconds of the last pid change, big-endian
//	bytes  8-11  nanoseconds of that moment, big-endian
//	bytes 12-15  pid of the service, little-endian; 0 when it is down
//	byte  16     1 when paused (svc -p) and the service is up, else 0
//	byte  17     what the supervisor wants: 'u', 'd', or 0 (svc -o)
//
// daemontools-encore and runit write longer records whose first 18 bytes
// have this layout; Decode reads those too, as svstat 0.76 does.
package status

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/tai64"
)

// Size is the length of the daemontools 0.76 status record.
const Size = 18

// Want values of byte 17.
const (
	WantUp   = 'u'
	WantDown = 'd'
	WantOnce = 0 // svc -o: run once, no wish after it ends
)

// ErrBadFormat is svstat's complaint about a record shorter than Size.
var ErrBadFormat = errors.New("bad format")

// Status is one decoded status record.
type Status struct {
	Stamp  tai64.Label // when the pid last changed (start or exit)
	PID    int         // 0 when the service is down
	Paused bool
	Want   byte // WantUp, WantDown or WantOnce
}

// Encode returns the 18-byte record.
func (s Status) Encode() [Size]byte {
	var b [Size]byte
	s.Stamp.Pack(b[0:12])
	binary.LittleEndian.PutUint32(b[12:16], uint32(s.PID))
	if s.Paused && s.PID != 0 {
		b[16] = 1
	}
	b[17] = s.Want
	return b
}

// Decode reads a record. Bytes past the 18th (other supervisors' extensions)
// are ignored.
func Decode(b []byte) (Status, error) {
	if len(b) < Size {
		return Status{}, ErrBadFormat
	}
	return Status{
		Stamp:  tai64.Unpack(b[0:12]),
		PID:    int(binary.LittleEndian.Uint32(b[12:16])),
		Paused: b[16] != 0,
		Want:   b[17],
	}, nil
}

// File names inside a service directory.
const (
	Dir      = "supervise"
	FileName = "supervise/status"
	newName  = "supervise/status.new"
)

// Write stores s as service/supervise/status the way daemontools does it:
// written whole to status.new, then renamed over status, so that a reader
// never sees half a record.
func Write(service string, s Status) error {
	b := s.Encode()
	return replace(filepath.Join(service, newName), filepath.Join(service, FileName), b[:])
}

// Read loads and decodes service/supervise/status.
func Read(service string) (Status, error) {
	b, err := readUpTo(filepath.Join(service, FileName), Size)
	if err != nil {
		return Status{}, err
	}
	return Decode(b)
}

// replace writes data to tmp and renames it to name.
func replace(tmp, name string, data []byte) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// readUpTo reads at most n bytes from the start of a file, as svstat's
// single read does.
func readUpTo(name string, n int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	got := 0
	for got < n {
		m, err := f.Read(b[got:])
		got += m
		if err != nil || m == 0 {
			break
		}
	}
	return b[:got], nil
}
