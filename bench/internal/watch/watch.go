// Package watch reports files as they appear in a directory (a
// Maildir's new/), with the time each was seen, through inotify(7):
// IN_CREATE for a file made there, IN_MOVED_TO for one renamed or linked
// in, which is how both qmail-local and Postfix deliver.
package watch

import (
	"bytes"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Arrival is one file that appeared.
type Arrival struct {
	Name string
	At   time.Time
}

// Watcher delivers Arrivals on C until Close.
type Watcher struct {
	C      <-chan Arrival
	fd, wd int
}

// Dir starts watching dir. The channel holds up to buffer arrivals; a
// reader that falls further behind delays the reading of events, never
// their time stamps by more than the kernel's queue allows.
func Dir(dir string, buffer int) (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ch := make(chan Arrival, buffer)
	go func() {
		defer close(ch)
		defer unix.Close(fd)
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(fd, buf)
			if err != nil || n <= 0 {
				return
			}
			at := time.Now()
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				end := off + unix.SizeofInotifyEvent + int(ev.Len)
				if end > n {
					break
				}
				if ev.Mask&unix.IN_IGNORED != 0 {
					return // the watch was removed: Close
				}
				name := bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00")
				ch <- Arrival{Name: string(name), At: at}
				off = end
			}
		}
	}()
	return &Watcher{C: ch, fd: fd, wd: wd}, nil
}

// Close stops the watch. Removing the watch queues IN_IGNORED, which
// wakes the reader blocked in read(2) (closing the descriptor would not);
// the reader then closes the descriptor and C.
func (w *Watcher) Close() error {
	_, err := unix.InotifyRmWatch(w.fd, uint32(w.wd))
	return err
}
