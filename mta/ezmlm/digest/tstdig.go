package digest

import (
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

// TstDig is ezmlm-tstdig: exit 0 when a digest is due (-m messages,
// -k kbytes of bodies or -t hours since the last one; 30, 64 and 48
// by default, or dir/digcount, digsize, digtime; 0 turns a test off),
// 99 when not. In the editor it also makes sure of one digest an hour
// at most (dir/tstdig).
func TstDig(inv *cli.Invocation) int {
	const usage = "[-k kbytes] [-m messages] [-t hours] dir"
	var k, m, t int64 = -1, -1, -1
	p := getopt.New(inv.Args, "k:m:t:vV")
	for {
		c, arg, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		n, _ := strconv.ParseInt(digits(arg), 10, 64)
		switch c {
		case 'k':
			k = n
		case 'm':
			m = n
		case 't':
			t = n
		}
	}
	rest := p.Rest()
	if len(rest) != 1 {
		return inv.Usage(usage)
	}
	return mail.Report(inv, tstdig(inv, rest[0], k, m, t, time.Now()))
}

func tstdig(inv *cli.Invocation, dir string, k, m, t int64, now time.Time) error {
	l, err := listdir.Open(dir)
	if err != nil {
		return mail.Temp(err)
	}
	if !l.Exists("num") {
		return &mail.Exit{Code: mail.ExitSkip}
	}
	num, cum, err := l.Num()
	if err != nil {
		return mail.Temp(err)
	}
	v, _, err := l.Line("dignum")
	if err != nil {
		return mail.Temp(err)
	}
	parts := strings.Split(v, ":")
	field := func(i int) uint64 {
		if i >= len(parts) {
			return 0
		}
		n, _ := strconv.ParseUint(digits(parts[i]), 10, 64)
		return n
	}
	digNum, digSize, digWhen := field(0), field(1), field(2)
	editor := false
	if local, _ := inv.Getenv("LOCAL"); local != "" {
		if def, _ := inv.Getenv("DEFAULT"); def != "" {
			low := strings.ToLower(def)
			if !strings.HasPrefix(low, "dig") || strings.HasPrefix(low, "digest-") {
				return nil
			}
		} else {
			editor = true
		}
	}
	setting := func(v int64, name string, def uint64) (uint64, error) {
		if v >= 0 {
			return uint64(v), nil
		}
		return l.Uint(name, def)
	}
	dt, err := setting(t, "digtime", 48)
	if err != nil {
		return mail.Temp(err)
	}
	dk, err := setting(k, "digsize", 64)
	if err != nil {
		return mail.Temp(err)
	}
	dm, err := setting(m, "digcount", 30)
	if err != nil {
		return mail.Temp(err)
	}
	when := uint64(now.Unix())
	due := dt != 0 && digWhen+dt*3600 <= when || dk != 0 && digSize+dk<<2 <= cum || dm != 0 && digNum+dm <= num
	if !due {
		return &mail.Exit{Code: mail.ExitSkip}
	}
	if !editor {
		return nil
	}
	lock, err := l.Lock("lock")
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	tst, err := l.Uint("tstdig", 0)
	if err != nil {
		return mail.Temp(err)
	}
	if tst+3600 < when || tst <= digWhen {
		if err := l.WriteFile("tstdig", strconv.FormatUint(when, 10)+"\n", 0o644); err != nil {
			return mail.Temp(err)
		}
		return nil
	}
	return &mail.Exit{Code: mail.ExitSkip}
}
