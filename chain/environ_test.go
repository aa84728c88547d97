package chain

import (
	"slices"
	"testing"
)

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		why     string
		environ []string
		edits   []string
		want    []string
	}{
		{"a new variable is appended", []string{"A=1"}, []string{"B=2"}, []string{"A=1", "B=2"}},
		{"setting replaces the old entry", []string{"A=1", "B=2"}, []string{"A=3"}, []string{"B=2", "A=3"}},
		{"a bare name unsets", []string{"A=1", "B=2"}, []string{"A"}, []string{"B=2"}},
		{"unsetting a missing name changes nothing", []string{"A=1"}, []string{"Z"}, []string{"A=1"}},
		{"the name ends at the first '=', so a file A=B sets A", []string{"A=1"}, []string{"A=B=x"}, []string{"A=B=x"}},
		{"an edit A=B without value still sets A to B", []string{"A=1"}, []string{"A=B"}, []string{"A=B"}},
		{"only the first of duplicate entries is removed", []string{"A=1", "A=2", "C=3"}, []string{"A"}, []string{"C=3", "A=2"}},
		{"a prefix of a name does not match", []string{"AB=1"}, []string{"A"}, []string{"AB=1"}},
		{"an entry without '=' is not a match", []string{"A"}, []string{"A=1"}, []string{"A", "A=1"}},
		{"edits apply in order", nil, []string{"A=1", "A", "A=2"}, []string{"A=2"}},
		{"an empty value is a value", []string{"A=1"}, []string{"A="}, []string{"A="}},
	}
	for _, tc := range tests {
		in := slices.Clone(tc.environ)
		got := applyEnv(tc.environ, tc.edits)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: applyEnv(%q, %q) = %q, want %q", tc.why, tc.environ, tc.edits, got, tc.want)
		}
		if !slices.Equal(in, tc.environ) {
			t.Errorf("%s: applyEnv changed its input to %q", tc.why, tc.environ)
		}
	}
}
