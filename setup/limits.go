package setup

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/internal/rtlimit"
)

// lowLimit is a softlimit option in a run script below what quail's
// programs need.
type lowLimit struct {
	option string // "-m 2000000", as the script gives it
	need   uint64
	what   string // "data", "address space"
}

// lowLimits reads a run script's softlimit commands and returns each -m,
// -d or -a value below floor: -d against the data floor, -a against the
// address space floor, -m (which sets both, with the stack and locked
// memory) against the larger. It reads the script as words, as the shell
// would split a simple command, and skips values it cannot read as a
// number ("=", a variable env does not know). env gives the variables of
// the service's env directory, which its run script reads through envdir.
func lowLimits(script string, env func(string) (string, bool), floor rtlimit.Needs) []lowLimit {
	var low []lowLimit
	for _, line := range strings.Split(script, "\n") {
		words := scriptWords(line, env)
		for i := 0; i < len(words); i++ {
			if filepath.Base(words[i]) != "softlimit" {
				continue
			}
			for i++; i < len(words); i++ {
				w := words[i]
				if w == "--" || len(w) < 2 || w[0] != '-' {
					break
				}
				opt, value := w[1], w[2:]
				if !strings.ContainsRune("acdflmoprst", rune(opt)) {
					break
				}
				if value == "" && i+1 < len(words) {
					i++
					value = words[i]
				}
				v, err := strconv.ParseUint(value, 10, 64)
				if err != nil {
					continue
				}
				shown := "-" + string(opt) + " " + value
				switch {
				case (opt == 'm' || opt == 'a') && v < floor.AS:
					low = append(low, lowLimit{shown, floor.AS, "address space"})
				case (opt == 'm' || opt == 'd') && v < floor.Data:
					low = append(low, lowLimit{shown, floor.Data, "data"})
				}
			}
		}
	}
	return low
}

// scriptWords splits a line of a run script into words: blanks separate
// them, quotes are dropped, a # at the start of a word begins a comment,
// and a word that is one variable ($NAME, ${NAME}) known to env is its
// value.
func scriptWords(line string, env func(string) (string, bool)) []string {
	var words []string
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "#") {
			break
		}
		w := strings.NewReplacer(`"`, "", `'`, "").Replace(f)
		if name, ok := strings.CutPrefix(w, "$"); ok {
			name = strings.TrimSuffix(strings.TrimPrefix(name, "{"), "}")
			if v, ok := env(name); ok {
				w = v
			}
		}
		words = append(words, w)
	}
	return words
}
