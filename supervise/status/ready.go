package status

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/tai64"
)

// Readiness, after s6: a service directory holding a file notification-fd
// names a descriptor; the daemon writes a newline there once it can serve.
// supervise then records the moment in supervise/ready as the TAI64N text
// label "@" + 24 hex digits + newline, and removes the file whenever the pid
// changes, so a ready file older than the status record never describes the
// running process.
const (
	NotificationFile = "notification-fd"
	ReadyName        = "supervise/ready"
	readyNew         = "supervise/ready.new"
)

// MaxNotificationFD bounds the descriptor a service may ask for.
const MaxNotificationFD = 1023

// WriteReady records that the service became ready at l.
func WriteReady(service string, l tai64.Label) error {
	b := l.AppendText(nil)
	b = append(b, '\n')
	return replace(filepath.Join(service, readyNew), filepath.Join(service, ReadyName), b)
}

// RemoveReady forgets readiness; a missing file is not an error.
func RemoveReady(service string) error {
	err := os.Remove(filepath.Join(service, ReadyName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// ReadReady returns the readiness stamp; ok is false when the service has
// not signalled readiness since its last pid change.
func ReadReady(service string) (l tai64.Label, ok bool, err error) {
	b, err := readUpTo(filepath.Join(service, ReadyName), 64)
	if errors.Is(err, os.ErrNotExist) {
		return tai64.Label{}, false, nil
	}
	if err != nil {
		return tai64.Label{}, false, err
	}
	l, n, err := tai64.ParseText(b)
	if err != nil || n != 25 {
		return tai64.Label{}, false, ErrBadFormat
	}
	return l, true, nil
}

// NotificationFD reads service/notification-fd. ok is false when the file
// does not exist; a file that does not hold a descriptor number from 3 to
// MaxNotificationFD is an error.
func NotificationFD(service string) (fd int, ok bool, err error) {
	b, err := readUpTo(filepath.Join(service, NotificationFile), 32)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return ParseNotificationFD(b)
}

// ParseNotificationFD parses the contents of a notification-fd file: a
// decimal number, optionally followed by white space.
func ParseNotificationFD(b []byte) (fd int, ok bool, err error) {
	s := strings.TrimRight(string(b), " \t\r\n")
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] < '0' || s[0] > '9' || n < 3 || n > MaxNotificationFD {
		return 0, false, errBadFD
	}
	return n, true, nil
}

var errBadFD = errors.New("not a descriptor number from 3 to 1023")
