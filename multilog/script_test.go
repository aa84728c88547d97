package multilog

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseScriptErrors(t *testing.T) {
	// quail's own letters are read strictly: no run script from before
	// them depends on a sloppy form.
	tests := []struct {
		args []string
		why  string
	}{
		{[]string{"=", "./d"}, "status file without a name"},
		{[]string{"S1M", "./d"}, "S takes bytes as digits"},
		{[]string{"a", "./d"}, "a needs seconds"},
		{[]string{"r1.5", "./d"}, "r takes whole milliseconds"},
	}
	for _, tc := range tests {
		if _, _, err := ParseScript(tc.args); err == nil {
			t.Errorf("ParseScript(%q) accepted: %s", tc.args, tc.why)
		}
	}
	// 0.76 reads and discards its input when given no script at all.
	if s, w, err := ParseScript(nil); err != nil || len(w) != 0 || len(s.Dirs) != 0 || len(s.actions) != 0 || s.Timestamp {
		t.Errorf("ParseScript(nil) = %+v, %q, %v; want an empty script", s, w, err)
	}
}

// What 0.76 passes over or reads in part is read the same way (the same
// files, TestCompatOldScripts), with one warning per such argument.
func TestParseScriptAsOld(t *testing.T) {
	tests := []struct {
		args      []string
		timestamp bool
		actions   []actionKind
		dir       DirConfig
		warnings  []string
	}{
		{[]string{"x", "./d"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 99999, Num: 10},
			[]string{`ignoring "x": an action multilog does not know, as daemontools 0.76 does`}},
		{[]string{"", "T", "./d"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 99999, Num: 10},
			[]string{`ignoring "": an empty action, as daemontools 0.76 does`, `ignoring "T": an action multilog does not know, as daemontools 0.76 does`}},
		{[]string{"./d", "t"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 99999, Num: 10},
			[]string{`ignoring "t": t counts only as the first action, as daemontools 0.76 does`}},
		{[]string{"tai", "./d"}, true, []actionKind{actDir}, DirConfig{Path: "./d", Size: 99999, Num: 10},
			[]string{`reading "tai" as t, as daemontools 0.76 does`}},
		{[]string{"ex", "./d"}, false, []actionKind{actAlert, actDir}, DirConfig{Path: "./d", Size: 99999, Num: 10},
			[]string{`reading "ex" as e, as daemontools 0.76 does`}},
		{[]string{"s100k", "./d"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 4096, Num: 10},
			[]string{`reading "s100k" as s100, as daemontools 0.76 does`}},
		{[]string{"s200000x", "n5y", "./d"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 200000, Num: 5},
			[]string{`reading "s200000x" as s200000, as daemontools 0.76 does`, `reading "n5y" as n5, as daemontools 0.76 does`}},
		{[]string{"s", "n", "./d"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 4096, Num: 2},
			[]string{`reading "s" as s0, as daemontools 0.76 does`, `reading "n" as n0, as daemontools 0.76 does`}},
		{[]string{"n-1", "./d"}, false, []actionKind{actDir}, DirConfig{Path: "./d", Size: 99999, Num: 2},
			[]string{`reading "n-1" as n0, as daemontools 0.76 does`}},
	}
	for _, tc := range tests {
		s, w, err := ParseScript(tc.args)
		if err != nil {
			t.Errorf("ParseScript(%q): %v", tc.args, err)
			continue
		}
		tc.dir.Cooldown = DefaultCooldown
		if s.Timestamp != tc.timestamp || len(s.Dirs) != 1 || s.Dirs[0] != tc.dir {
			t.Errorf("ParseScript(%q) = timestamp %v, dirs %+v; want %v, %+v", tc.args, s.Timestamp, s.Dirs, tc.timestamp, tc.dir)
		}
		var kinds []actionKind
		for _, a := range s.actions {
			kinds = append(kinds, a.kind)
		}
		if fmt.Sprint(kinds) != fmt.Sprint(tc.actions) {
			t.Errorf("ParseScript(%q) actions %v, want %v", tc.args, kinds, tc.actions)
		}
		if strings.Join(w, "\n") != strings.Join(tc.warnings, "\n") {
			t.Errorf("ParseScript(%q) warnings\n%q\nwant\n%q", tc.args, w, tc.warnings)
		}
	}
}

func TestParseScriptSettings(t *testing.T) {
	tests := []struct {
		args []string
		want []DirConfig
		why  string
	}{
		{[]string{"./a"}, []DirConfig{{Path: "./a", Size: 99999, Num: 10, Cooldown: 5 * time.Second}}, "0.76's defaults"},
		{[]string{"s1", "n1", "/a"}, []DirConfig{{Path: "/a", Size: 4096, Num: 2, Cooldown: 5 * time.Second}}, "clamped from below as 0.76 does"},
		{[]string{"s99999999999999999999999", "./a"}, []DirConfig{{Path: "./a", Size: 16777215, Num: 10, Cooldown: 5 * time.Second}}, "clamped from above, even past 64 bits"},
		{[]string{"s5000", "./a", "n3", "!gzip", "./b"}, []DirConfig{
			{Path: "./a", Size: 5000, Num: 10, Cooldown: 5 * time.Second},
			{Path: "./b", Size: 5000, Num: 3, Processor: "gzip", Cooldown: 5 * time.Second},
		}, "settings apply to the directories after them"},
		{[]string{"!cat", "./a", "!", "./b"}, []DirConfig{
			{Path: "./a", Size: 99999, Num: 10, Processor: "cat", Cooldown: 5 * time.Second},
			{Path: "./b", Size: 99999, Num: 10, Cooldown: 5 * time.Second},
		}, "an empty ! drops the processor, as in s6-log"},
		{[]string{"S300000", "a3600", "r0", "./a"}, []DirConfig{{Path: "./a", Size: 99999, Num: 10, TotalCap: 300000, MaxAge: time.Hour, Cooldown: MinCooldown}}, "the extensions; r0 would spin"},
	}
	for _, tc := range tests {
		s, w, err := ParseScript(tc.args)
		if err != nil || len(w) != 0 {
			t.Errorf("ParseScript(%q): %v %q (%s)", tc.args, err, w, tc.why)
			continue
		}
		if len(s.Dirs) != len(tc.want) {
			t.Errorf("ParseScript(%q): %d dirs, want %d (%s)", tc.args, len(s.Dirs), len(tc.want), tc.why)
			continue
		}
		for i := range tc.want {
			if s.Dirs[i] != tc.want[i] {
				t.Errorf("ParseScript(%q) dir %d = %+v, want %+v (%s)", tc.args, i, s.Dirs[i], tc.want[i], tc.why)
			}
		}
	}
}

func TestParseScriptActions(t *testing.T) {
	s, _, err := ParseScript([]string{"t", "-*", "+* fatal: *", "e", "=st", "./main", "+*"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Timestamp {
		t.Error("t first was not taken as the timestamp action")
	}
	kinds := []actionKind{actDeselect, actSelect, actAlert, actStatus, actDir, actSelect}
	if len(s.actions) != len(kinds) {
		t.Fatalf("got %d actions, want %d", len(s.actions), len(kinds))
	}
	for i, k := range kinds {
		if s.actions[i].kind != k {
			t.Errorf("action %d is kind %d, want %d", i, s.actions[i].kind, k)
		}
	}
	if string(s.actions[1].pattern) != "* fatal: *" || s.Status[0].Path != "st" {
		t.Errorf("pattern %q, status %q", s.actions[1].pattern, s.Status[0].Path)
	}
}

func FuzzParseScript(f *testing.F) {
	f.Add("t\x00-*\x00+* fatal: *\x00./main")
	f.Add("s4096\x00n2\x00!gzip\x00/var/log/x")
	f.Add("S100\x00a60\x00r5\x00=status\x00e")
	f.Add("s99999999999999999999999999\x00.")
	f.Add("\x00t")
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		start := 0
		for i := 0; i <= len(joined); i++ {
			if i == len(joined) || joined[i] == 0 {
				args = append(args, joined[start:i])
				start = i + 1
			}
		}
		s, _, err := ParseScript(args)
		if err != nil {
			return
		}
		for _, d := range s.Dirs {
			if d.Size < MinSize || d.Size > MaxSize || d.Num < MinNum || d.Cooldown < MinCooldown || d.Cooldown > MaxCooldown || d.MaxAge < 0 {
				t.Fatalf("out of range: %+v", d)
			}
			if d.Path == "" || (d.Path[0] != '.' && d.Path[0] != '/') {
				t.Fatalf("bad directory %q", d.Path)
			}
		}
	})
}
