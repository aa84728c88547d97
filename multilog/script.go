package multilog

import (
	"fmt"
	"time"
)

// Limits and defaults of the 0.76 script language.
const (
	DefaultSize     = 99999
	MinSize         = 4096
	MaxSize         = 16777215
	DefaultNum      = 10
	MinNum          = 2
	DefaultCooldown = 5 * time.Second       // 0.76's deepsleep(5) after every error
	MinCooldown     = 10 * time.Millisecond // an r0 must not spin
	MaxCooldown     = time.Hour
	maxSeconds      = 100 * 365 * 24 * 3600
)

type actionKind uint8

const (
	actSelect   actionKind = iota // +pattern
	actDeselect                   // -pattern
	actAlert                      // e
	actStatus                     // =file
	actDir                        // ./dir or /dir
)

// action is one compiled script argument that acts on every line.
type action struct {
	kind    actionKind
	pattern []byte // actSelect, actDeselect
	index   int    // actStatus: into Script.Status; actDir: into Script.Dirs
}

// DirConfig is a log directory with the settings in force where it was named.
type DirConfig struct {
	Path      string
	Size      uint64        // s: rotate near this many bytes
	Num       uint64        // n: keep fewer than this many archives
	Processor string        // !: run through sh -c; empty means none
	TotalCap  uint64        // S: cap on the bytes in archives; 0 means none
	MaxAge    time.Duration // a: rotate when the oldest line is this old; 0 means never
	Cooldown  time.Duration // r: pause after an error
}

// StatusConfig is a =file action.
type StatusConfig struct {
	Path     string
	Cooldown time.Duration
}

// Script is a parsed multilog script.
type Script struct {
	Timestamp bool // t as the first argument
	actions   []action
	Dirs      []DirConfig
	Status    []StatusConfig
}

// ParseScript compiles the arguments of multilog (without the program
// name) as 0.76 reads them: a first argument starting with t asks for
// timestamps, a letter 0.76 does not know is passed over, s and n take
// the digits they start with (s100k is s100). An administrator's log/run
// script therefore keeps working unchanged, where refusing it would stop
// the logger and, with it, the service writing into the pipe. What 0.76
// would pass over or read only in part is not silent here: each such
// argument comes back as a warning for multilog to print once at start.
// An empty script reads and discards the input, as in 0.76.
//
// quail's own letters (S, a, r) are not 0.76's, so nothing old depends on
// them: they are read strictly, and a malformed one is an error.
func ParseScript(args []string) (s *Script, warnings []string, err error) {
	s = &Script{}
	cfg := DirConfig{Size: DefaultSize, Num: DefaultNum, Cooldown: DefaultCooldown}
	passOver := func(a, why string) {
		warnings = append(warnings, fmt.Sprintf("ignoring %q: %s, as daemontools 0.76 does", a, why))
	}
	for i, a := range args {
		if a == "" {
			passOver(a, "an empty action")
			continue
		}
		rest := a[1:]
		switch a[0] {
		case 't':
			if i != 0 {
				passOver(a, "t counts only as the first action")
				continue
			}
			if rest != "" {
				warnings = append(warnings, fmt.Sprintf("reading %q as t, as daemontools 0.76 does", a))
			}
			s.Timestamp = true
		case '+':
			s.actions = append(s.actions, action{kind: actSelect, pattern: []byte(rest)})
		case '-':
			s.actions = append(s.actions, action{kind: actDeselect, pattern: []byte(rest)})
		case 'e':
			if rest != "" {
				warnings = append(warnings, fmt.Sprintf("reading %q as e, as daemontools 0.76 does", a))
			}
			s.actions = append(s.actions, action{kind: actAlert})
		case '=':
			if rest == "" {
				return nil, nil, fmt.Errorf("status file without a name")
			}
			s.actions = append(s.actions, action{kind: actStatus, index: len(s.Status)})
			s.Status = append(s.Status, StatusConfig{Path: rest, Cooldown: cfg.Cooldown})
		case 's':
			n, w := leadingNumber(a)
			warnings = append(warnings, w...)
			cfg.Size = min(max(n, MinSize), MaxSize)
		case 'n':
			n, w := leadingNumber(a)
			warnings = append(warnings, w...)
			cfg.Num = max(n, MinNum)
		case '!':
			cfg.Processor = rest
		case 'S':
			n, err := number(a)
			if err != nil {
				return nil, nil, err
			}
			cfg.TotalCap = n
		case 'a':
			n, err := number(a)
			if err != nil {
				return nil, nil, err
			}
			cfg.MaxAge = time.Duration(min(n, maxSeconds)) * time.Second
		case 'r':
			n, err := number(a)
			if err != nil {
				return nil, nil, err
			}
			ms := min(n, uint64(MaxCooldown/time.Millisecond))
			cfg.Cooldown = max(time.Duration(ms)*time.Millisecond, MinCooldown)
		case '.', '/':
			d := cfg
			d.Path = a
			s.actions = append(s.actions, action{kind: actDir, index: len(s.Dirs)})
			s.Dirs = append(s.Dirs, d)
		default:
			passOver(a, "an action multilog does not know")
		}
	}
	return s, warnings, nil
}

// leadingNumber reads s and n as 0.76's scan_ulong does: the digits after
// the letter up to the first other byte, none being 0. What was not read
// comes back as a warning.
func leadingNumber(a string) (uint64, []string) {
	digits := a[1:]
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	n, _ := number(a[:1+end])
	if end == len(digits) && end > 0 {
		return n, nil
	}
	return n, []string{fmt.Sprintf("reading %q as %c%d, as daemontools 0.76 does", a, a[0], n)}
}

// number reads the decimal digits after an action letter. Values too big
// for 64 bits saturate; every caller clamps to its own range.
func number(a string) (uint64, error) {
	digits := a[1:]
	if digits == "" {
		return 0, fmt.Errorf("action %q needs a number", a)
	}
	var n uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("action %q: not a number", a)
		}
		if n > (1<<63)/10 {
			n = 1 << 63
			continue
		}
		n = n*10 + uint64(c-'0')
	}
	return n, nil
}
