package send

import (
	"math"
	"time"
)

// Retry constants of qmail-send: the c in birth + (sqrt(age) + c)^2.
var chanSkip = [2]float64{Local: 10, Remote: 20}

// NextRetry is qmail-send's schedule: the next attempt of a delivery on
// channel ch for a message born at birth, seen at now, is at
// birth + (floor(sqrt(age)) + c)^2 seconds, c being 10 for local and 20
// for remote deliveries.
func NextRetry(birth, now time.Time, ch Channel) time.Time {
	n := 0.0
	if age := now.Sub(birth).Seconds(); age > 0 {
		n = math.Floor(math.Sqrt(age))
	}
	n += chanSkip[ch]
	return birth.Add(time.Duration(n*n) * time.Second)
}
