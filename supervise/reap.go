package supervise

import (
	"errors"
	"syscall"
)

// reapOne collects one exited child without waiting and returns its pid,
// or 0 when there is none to collect (or no child at all).
func reapOne() int {
	for {
		var ws syscall.WaitStatus
		r, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if r <= 0 || err != nil {
			return 0
		}
		return r
	}
}
