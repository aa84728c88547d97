package multilog

import (
	"testing"
	"time"
)

func TestParseScriptErrors(t *testing.T) {
	tests := []struct {
		args []string
		why  string
	}{
		{[]string{""}, "an empty argument is no action"},
		{[]string{"x"}, "unknown letter"},
		{[]string{"T", "./d"}, "encore's accustamp is not implemented"},
		{[]string{"./d", "t"}, "t is only honoured first; 0.76 would silently ignore it"},
		{[]string{"tx", "./d"}, "t stands alone"},
		{[]string{"ex"}, "e stands alone"},
		{[]string{"s", "./d"}, "s needs a number"},
		{[]string{"s100k", "./d"}, "a suffix is not a number (0.76 would read 100)"},
		{[]string{"n-1", "./d"}, "negative count"},
		{[]string{"=", "./d"}, "status file without a name"},
		{[]string{"S1M", "./d"}, "S takes bytes as digits"},
		{[]string{"a", "./d"}, "a needs seconds"},
		{[]string{"r1.5", "./d"}, "r takes whole milliseconds"},
	}
	for _, tc := range tests {
		if _, err := ParseScript(tc.args); err == nil {
			t.Errorf("ParseScript(%q) accepted: %s", tc.args, tc.why)
		}
	}
	// 0.76 reads and discards its input when given no script at all.
	if s, err := ParseScript(nil); err != nil || len(s.Dirs) != 0 || len(s.actions) != 0 || s.Timestamp {
		t.Errorf("ParseScript(nil) = %+v, %v; want an empty script", s, err)
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
		s, err := ParseScript(tc.args)
		if err != nil {
			t.Errorf("ParseScript(%q): %v (%s)", tc.args, err, tc.why)
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
	s, err := ParseScript([]string{"t", "-*", "+* fatal: *", "e", "=st", "./main", "+*"})
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
		s, err := ParseScript(args)
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
