package filter_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/tai64"
)

// zones with unusual rules: half-hour and 45-minute offsets, negative DST,
// southern-hemisphere DST, a 30-minute DST shift.
var zones = []string{"UTC", "America/New_York", "Europe/London", "Europe/Dublin", "Asia/Kolkata",
	"Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "Africa/Casablanca", "Asia/Tokyo",
	// POSIX rule strings that name no zoneinfo file, and ones that fail to
	// parse (UTC for both).
	"XYZ-3", "<+0530>-5:30", "CET-1CEST,M3.5.0,M10.5.0/3", "NZST-12NZDT,M9.5.0,M4.1.0/3",
	"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "XYZ-3ABC,J60/2,J300/2", "XYZ-3ABC,59,299", "bogus!!", "UTC0"}

// labelCorpus is tai64nlocal input that Debian's tool survives (it crashes
// on times beyond struct tm's year), covering the parser's corners.
func labelCorpus() string {
	var b strings.Builder
	label := func(sec int64, nano uint32) string {
		return tai64.Label{Sec: uint64(sec) + tai64.Offset, Nano: nano}.String()
	}
	utc := func(y int, mo time.Month, d, h, mi, s int) int64 {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC).Unix()
	}
	times := []int64{
		0, -1, 1, 946684799, 951782400, 2147483647, 2147483648, 1_000_000_000,
		utc(2026, 3, 8, 6, 59, 59), utc(2026, 3, 8, 7, 0, 0), utc(2026, 11, 1, 5, 59, 59), utc(2026, 11, 1, 6, 0, 0),
		utc(2026, 3, 29, 0, 59, 59), utc(2026, 3, 29, 1, 0, 0), utc(2026, 10, 25, 1, 0, 0),
		utc(2026, 4, 5, 1, 30, 0), utc(2026, 10, 4, 2, 0, 0),
		utc(2100, 6, 1, 12, 0, 0), utc(2200, 1, 1, 0, 0, 0), utc(2500, 7, 4, 3, 2, 1),
		utc(1901, 12, 13, 20, 45, 52), utc(1900, 1, 1, 0, 0, 0), utc(1800, 5, 6, 7, 8, 9),
		utc(9999, 12, 31, 23, 59, 59), utc(10000, 1, 1, 0, 0, 0), utc(1, 1, 1, 0, 0, 0),
		utc(0, 6, 15, 12, 0, 0), utc(-1, 1, 1, 0, 0, 0), utc(-4713, 11, 24, 12, 0, 0),
		1 << 40, -(1 << 40),
	}
	for i, sec := range times {
		nanos := []uint32{0, 500, 999999999, 123456789, 1000000000, 1<<32 - 1}
		fmt.Fprintf(&b, "%s line %d\n", label(sec, nanos[i%len(nanos)]), i)
	}
	for _, l := range []string{
		label(1e9, 1) + "\n",                  // the label ends at the newline
		label(1e9, 2) + "\tafter a tab\n",     // the ending byte is kept
		label(1e9, 3) + "A uppercase ends\n",  // uppercase is not hex
		"ff" + label(1e9, 4)[1:] + " no @\n",  // not a label line
		"@ff" + label(1e9, 5)[1:] + " long\n", // extra leading digits shift out
		"@3fffffffffffffff00000000 short\n",   // short labels count from the right
		"@3ffffffff000000000000000 short\n",
		"plain line\n", "\n", "x @" + label(1e9, 6)[1:] + " mid-line\n",
		label(1e9, 7) + " crlf\r\n",
		label(1e9, 8) + label(1e9, 9) + " two labels\n",
	} {
		b.WriteString(l)
	}
	b.WriteString(label(1e9, 10) + " partial last line")
	return b.String()
}

func TestTai64nlocalMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "tai64nlocal")
	theirs := testbin.Peer(t, "tai64nlocal")
	in := labelCorpus()
	for _, tz := range zones {
		env := []string{"TZ=" + tz}
		got := run(t, env, in, ours)
		want := run(t, env, in, theirs)
		if want.code != 0 {
			t.Fatalf("TZ=%s: Debian's tai64nlocal failed on the corpus: exit %d", tz, want.code)
		}
		if got.code != 0 || got.stdout != want.stdout {
			t.Errorf("TZ=%s: exit %d (%q)\n%s", tz, got.code, got.stderr, diffLines(got.stdout, want.stdout))
		}
	}
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d: ours %q, Debian's %q\n", i+1, gl, wl)
		}
	}
	return b.String()
}

var localLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}500 `)
var stampLine = regexp.MustCompile(`^@4000000[0-9a-f]{11}[0-9a-f]{6} `)

// Each tai64n's stamps are read by both tai64nlocals, with the same result.
func TestTai64nCrossesWithDebian(t *testing.T) {
	stampers := map[string]string{"ours": testbin.Path(t, "tai64n"), "Debian's": testbin.Peer(t, "tai64n")}
	locals := map[string]string{"ours": testbin.Path(t, "tai64nlocal"), "Debian's": testbin.Peer(t, "tai64nlocal")}
	var in strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&in, "line %d %s\n", i, strings.Repeat("x", i%50))
	}
	in.WriteString("no newline at the end")
	for sname, stamper := range stampers {
		stamped := run(t, nil, in.String(), stamper)
		if stamped.code != 0 {
			t.Fatalf("%s tai64n: exit %d %q", sname, stamped.code, stamped.stderr)
		}
		lines := strings.SplitAfter(stamped.stdout, "\n")
		inLines := strings.SplitAfter(in.String(), "\n")
		if len(lines) != len(inLines) {
			t.Fatalf("%s tai64n: %d lines out of %d", sname, len(lines), len(inLines))
		}
		for i, l := range lines {
			if !stampLine.MatchString(l) || l[26:] != inLines[i] {
				t.Fatalf("%s tai64n line %d: %q for %q", sname, i, l, inLines[i])
			}
			lab, _, _ := tai64.ParseText([]byte(l))
			if lab.Nano%1000 != 500 {
				t.Fatalf("%s tai64n line %d: nanoseconds %d do not end in 500", sname, i, lab.Nano)
			}
		}
		env := []string{"TZ=America/New_York"}
		got := run(t, env, stamped.stdout, locals["ours"])
		want := run(t, env, stamped.stdout, locals["Debian's"])
		if got.stdout != want.stdout {
			t.Errorf("%s stamps: our tai64nlocal and Debian's differ:\n%s", sname, diffLines(got.stdout, want.stdout))
		}
		for i, l := range strings.SplitAfter(got.stdout, "\n") {
			if !localLine.MatchString(l) {
				t.Fatalf("%s stamps, line %d converted to %q", sname, i, l)
			}
		}
	}
}

// Both filters pass each line on as soon as it is complete, without
// waiting for more input or for its end.
func TestFiltersStream(t *testing.T) {
	for _, tc := range []struct {
		prog, line string
		check      func(string) bool
	}{
		{"tai64n", "hello\n", func(s string) bool { return stampLine.MatchString(s) && strings.HasSuffix(s, " hello\n") }},
		{"tai64nlocal", "@4000000069000000000001f4 hello\n", func(s string) bool { return s == "2025-10-27 23:27:50.000000500 hello\n" }},
	} {
		inR, inW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(testbin.Path(t, tc.prog))
		cmd.Env = []string{"TZ=UTC"}
		cmd.Stdin, cmd.Stdout = inR, outW
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		inR.Close()
		outW.Close()
		for i := range 3 {
			if _, err := inW.WriteString(tc.line); err != nil {
				t.Fatal(err)
			}
			if got := readLine(t, outR); !tc.check(got) {
				t.Errorf("%s: line %d came out as %q", tc.prog, i, got)
			}
		}
		inW.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s at end of input: %v", tc.prog, err)
		}
		outR.Close()
	}
}

func TestFilterErrorsMatchDebian(t *testing.T) {
	for _, prog := range []string{"tai64n", "tai64nlocal"} {
		for _, impl := range []string{testbin.Path(t, prog), testbin.Peer(t, prog)} {
			// Reading a directory fails.
			dir, err := os.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(impl)
			cmd.Stdin = dir
			err = cmd.Run()
			dir.Close()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 111 {
				t.Errorf("%s with a directory as input: %v, want exit 111", impl, err)
			}
			// Writing to a read-only descriptor fails.
			ro, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command(impl)
			cmd.Stdin = strings.NewReader("@4000000069000000000001f4 x\n")
			cmd.Stdout = ro
			err = cmd.Run()
			ro.Close()
			if !errors.As(err, &exit) || exit.ExitCode() != 111 {
				t.Errorf("%s with unwritable output: %v, want exit 111", impl, err)
			}
		}
	}
}
