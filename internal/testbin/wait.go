package testbin

import "time"

// Eventually polls cond every few milliseconds until it holds, and tells
// whether it did within limit; the caller says what failed. Tests wait
// on what they can observe, never on a bare sleep.
func Eventually(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
