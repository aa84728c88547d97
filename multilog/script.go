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
// name). Unlike 0.76, which ignores what it does not know, it refuses an
// argument it cannot read, so that a typing mistake does not silently log
// nothing or everything. An empty script is no mistake: as in 0.76, the
// input is read and discarded.
func ParseScript(args []string) (*Script, error) {
	s := &Script{}
	cfg := DirConfig{Size: DefaultSize, Num: DefaultNum, Cooldown: DefaultCooldown}
	for i, a := range args {
		if a == "" {
			return nil, fmt.Errorf("empty action")
		}
		rest := a[1:]
		switch a[0] {
		case 't':
			if i != 0 || rest != "" {
				return nil, fmt.Errorf("t must be the first action and stand alone: %q", a)
			}
			s.Timestamp = true
		case '+':
			s.actions = append(s.actions, action{kind: actSelect, pattern: []byte(rest)})
		case '-':
			s.actions = append(s.actions, action{kind: actDeselect, pattern: []byte(rest)})
		case 'e':
			if rest != "" {
				return nil, fmt.Errorf("unknown action %q", a)
			}
			s.actions = append(s.actions, action{kind: actAlert})
		case '=':
			if rest == "" {
				return nil, fmt.Errorf("status file without a name")
			}
			s.actions = append(s.actions, action{kind: actStatus, index: len(s.Status)})
			s.Status = append(s.Status, StatusConfig{Path: rest, Cooldown: cfg.Cooldown})
		case 's':
			n, err := number(a)
			if err != nil {
				return nil, err
			}
			cfg.Size = min(max(n, MinSize), MaxSize)
		case 'n':
			n, err := number(a)
			if err != nil {
				return nil, err
			}
			cfg.Num = max(n, MinNum)
		case '!':
			cfg.Processor = rest
		case 'S':
			n, err := number(a)
			if err != nil {
				return nil, err
			}
			cfg.TotalCap = n
		case 'a':
			n, err := number(a)
			if err != nil {
				return nil, err
			}
			cfg.MaxAge = time.Duration(min(n, maxSeconds)) * time.Second
		case 'r':
			n, err := number(a)
			if err != nil {
				return nil, err
			}
			ms := min(n, uint64(MaxCooldown/time.Millisecond))
			cfg.Cooldown = max(time.Duration(ms)*time.Millisecond, MinCooldown)
		case '.', '/':
			d := cfg
			d.Path = a
			s.actions = append(s.actions, action{kind: actDir, index: len(s.Dirs)})
			s.Dirs = append(s.Dirs, d)
		default:
			return nil, fmt.Errorf("unknown action %q", a)
		}
	}
	return s, nil
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
