package stats

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/tai64"
)

// Exit codes.
const (
	ExitOK    = cli.ExitOK
	ExitUsage = cli.ExitPermanent
	ExitRead  = cli.ExitTemporary
)

const synopsis = "[ -p ] [ -n top ] [ -s since ] [ -u until ] [ log ... ]"

// DefaultTop is how many domains the report and the metrics show.
const DefaultTop = 10

// Main is qmail-stats.
func Main(inv *cli.Invocation) int { return run(inv, time.Now()) }

// run is Main with the time that relative bounds count back from.
func run(inv *cli.Invocation, now time.Time) int {
	prom, top := false, DefaultTop
	var win Window
	p := getopt.New(inv.Args, "pn:s:u:")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		switch c {
		case 'p':
			prom = true
		case 'n':
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				inv.Warn("-n needs a number of domains, not %q", arg)
				return inv.Usage(synopsis)
			}
			top = n
		case 's', 'u':
			t, err := ParseTime(arg, now)
			if err != nil {
				inv.Warn("%v", err)
				return inv.Usage(synopsis)
			}
			if c == 's' {
				win.Since, win.HasSince = t, true
			} else {
				win.Until, win.HasUntil = t, true
			}
		}
	}
	s := New(DefaultLimits, win)
	logs := p.Rest()
	if len(logs) == 0 {
		logs = []string{"-"}
	}
	for _, name := range logs {
		if err := s.readLog(inv, name); err != nil {
			return inv.Fatal(ExitRead, "%v", err)
		}
	}
	var err error
	if prom {
		err = s.WritePrometheus(inv.Stdout, top)
	} else {
		err = s.WriteReport(inv.Stdout, top)
	}
	if err != nil {
		return inv.Fatal(ExitRead, "unable to write output: %v", err)
	}
	return ExitOK
}

// readLog reads "-" (standard input), a file, or a multilog directory:
// its archived logs in the order of their names, which is the order of
// their time stamps, then current.
func (s *Stats) readLog(inv *cli.Invocation, name string) error {
	s.SetSource(sourceName(name))
	if name == "-" {
		if err := s.Read(inv.Stdin); err != nil {
			return fmt.Errorf("unable to read standard input: %w", err)
		}
		return nil
	}
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("unable to stat %s: %w", name, unwrapPath(err))
	}
	if !fi.IsDir() {
		return s.readFile(name)
	}
	files, err := multilogFiles(name)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := s.readFile(f); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stats) readFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("unable to open %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	if err := s.Read(f); err != nil {
		return fmt.Errorf("unable to read %s: %w", name, unwrapPath(err))
	}
	return nil
}

// multilogFiles lists a log directory's @*.s and @*.u archives, sorted,
// then current. A processor's temporary files and state are left alone.
func multilogFiles(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("unable to open %s: %w", dir, unwrapPath(err))
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", dir, unwrapPath(err))
	}
	var archives []string
	hasCurrent := false
	for _, n := range names {
		switch {
		case n == "current":
			hasCurrent = true
		case strings.HasPrefix(n, "@") && (strings.HasSuffix(n, ".s") || strings.HasSuffix(n, ".u")):
			archives = append(archives, n)
		}
	}
	slices.Sort(archives)
	if hasCurrent {
		archives = append(archives, "current")
	}
	files := make([]string, len(archives))
	for i, n := range archives {
		files[i] = filepath.Join(dir, n)
	}
	return files, nil
}

// sourceName names a log for the figures kept per log: a directory by its
// name, which is the service's (/var/log/qmail-smtpd: qmail-smtpd), and so
// a file in one (current, @....s); standard input is "-".
func sourceName(name string) string {
	if name == "-" {
		return name
	}
	clean := filepath.Clean(name)
	base := filepath.Base(clean)
	if base == "current" || base == "previous" || strings.HasPrefix(base, "@") {
		return filepath.Base(filepath.Dir(clean))
	}
	return base
}

// unwrapPath keeps the cause of a *PathError: the path is in the message
// already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseTime reads a bound of the window, in nanoseconds since the UNIX
// epoch: a TAI64N label ("@" + 24 hex digits), UNIX seconds with an
// optional fraction, a date and time in RFC 3339 or "YYYY-MM-DD",
// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS" (UTC unless a zone is
// given), or a duration such as "24h" or "90m" counted back from now.
func ParseTime(s string, now time.Time) (int64, error) {
	if strings.HasPrefix(s, "@") {
		l, n, err := tai64.ParseText([]byte(s))
		if err != nil || n != len(s) || n != 25 || l.Sec < tai64.Offset || l.Sec-tai64.Offset >= maxUnixSec {
			return 0, fmt.Errorf("time %q is not a TAI64N label", s)
		}
		return int64(l.Sec-tai64.Offset)*1e9 + int64(l.Nano%1e9), nil
	}
	if ns, rest, ok, _ := splitAccustamp([]byte(s + " ")); ok && len(rest) == 0 {
		return ns, nil
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec >= 0 && sec < maxUnixSec {
		return sec * 1e9, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UnixNano(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UnixNano(), nil
	}
	return 0, fmt.Errorf("unable to understand time %q", s)
}
