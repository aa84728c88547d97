package queue

import (
	"testing"
	"time"
)

// TestInProcessQP: the qps of one process's injections never repeat,
// even many in one millisecond; they differ between processes; within
// any day they never repeat (they cycle every QPPeriod); every one is
// above every pid and below 2^53.
func TestInProcessQP(t *testing.T) {
	now := time.Unix(1_800_000_000, 123_000_000)
	seen := map[int]bool{}
	for i := 0; i < 10000; i++ {
		qp := inProcessQP(4321, now) // the clock stands still
		if seen[qp] {
			t.Fatalf("qp %d given twice", qp)
		}
		seen[qp] = true
		if qp < PIDLimit || qp >= 1<<53 {
			t.Fatalf("qp %d outside [%d, 2^53)", qp, PIDLimit)
		}
		if qp%PIDLimit != 4321 {
			t.Fatalf("qp %d does not end in the pid", qp)
		}
	}
	a, b := inProcessQP(100, now.Add(time.Hour)), inProcessQP(101, now.Add(time.Hour))
	if a == b {
		t.Errorf("two processes got qp %d", a)
	}
	// Another process with the same pid, later the same day.
	later := now.Add(2 * time.Hour)
	c := inProcessQP(4321, later)
	if seen[c] {
		t.Errorf("a later injection by the same pid got qp %d again", c)
	}
	// The largest qp there can be.
	if max := int64(QPPeriod.Milliseconds())*PIDLimit + PIDLimit - 1; max >= 1<<53 {
		t.Errorf("qps reach %d, not below 2^53", max)
	}
}

// TestInProcessQPPeriod: qps a day apart differ, two days apart they
// are the same again.
func TestInProcessQPPeriod(t *testing.T) {
	t0 := time.Unix(1_900_000_000, 0)
	day := inProcessQP(7, t0.Add(24*time.Hour-time.Millisecond)) - inProcessQP(7, t0)
	if day == 0 {
		t.Error("qps within a day repeat")
	}
	a := inProcessQP(7, t0.Add(10*QPPeriod))
	b := inProcessQP(7, t0.Add(11*QPPeriod))
	if a != b {
		t.Errorf("qps %d and %d one period apart, want the same", a, b)
	}
}
