package chain

import "testing"

func TestFghackLayout(t *testing.T) {
	tests := []struct {
		why       string
		inherited []int
		pipeAt    []int // descriptors that must be the write end
		keptAt    []int // descriptors that must stay what they were
	}{
		{"nothing inherited: 3 to 33", nil, seq(3, 33), nil},
		{"an inherited 10 stays; the copies go round it", []int{10}, append(seq(3, 9), seq(11, 34)...), []int{10}},
		{"inherited 3 and 4: the pipe was 5 and 6, copies from 5", []int{3, 4}, seq(5, 35), []int{3, 4}},
		{"an inherited descriptor far above is left alone", []int{251}, seq(3, 33), nil},
	}
	for _, tc := range tests {
		inh := map[int]bool{}
		for _, fd := range tc.inherited {
			inh[fd] = true
		}
		extra := fghackLayout(inh)
		pipes := 0
		for i, f := range extra {
			if f == slotPipe {
				pipes++
				if !contains(tc.pipeAt, i+3) {
					t.Errorf("%s: descriptor %d is the pipe", tc.why, i+3)
				}
			}
		}
		if pipes != fghackCopies || len(extra)+2 != tc.pipeAt[len(tc.pipeAt)-1] {
			t.Errorf("%s: %d copies up to %d, want %d up to %d", tc.why, pipes, len(extra)+2, fghackCopies, tc.pipeAt[len(tc.pipeAt)-1])
		}
		for _, fd := range tc.keptAt {
			if extra[fd-3] != slotInherited {
				t.Errorf("%s: inherited descriptor %d not kept", tc.why, fd)
			}
		}
	}
}

func seq(a, b int) []int {
	var s []int
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
