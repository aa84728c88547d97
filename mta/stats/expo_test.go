package stats

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$`)
)

// checkExposition checks text against the Prometheus text format as a
// scraper reads it: HELP and TYPE once per family and before its samples,
// samples of the family just declared (a summary's _sum and _count
// included), valid names, label syntax and values, no series twice, and
// the quail_ prefix on every name.
func checkExposition(text string) error {
	declared := map[string]string{}
	seen := map[string]bool{}
	family := ""
	if !strings.HasSuffix(text, "\n") {
		return fmt.Errorf("no final newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			f := strings.SplitN(line, " ", 4)
			if len(f) < 4 || !metricName.MatchString(f[2]) {
				return fmt.Errorf("line %d: bad HELP %q", i+1, line)
			}
			if _, dup := declared[f[2]]; dup {
				return fmt.Errorf("line %d: family %s declared twice", i+1, f[2])
			}
			declared[f[2]], family = "", f[2]
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Split(line, " ")
			if len(f) != 4 || f[2] != family || declared[family] != "" {
				return fmt.Errorf("line %d: TYPE %q not right after its HELP", i+1, line)
			}
			switch f[3] {
			case "counter", "gauge", "summary":
				declared[family] = f[3]
			default:
				return fmt.Errorf("line %d: type %q", i+1, f[3])
			}
		default:
			m := sampleLine.FindStringSubmatch(line)
			if m == nil {
				return fmt.Errorf("line %d: not a sample: %q", i+1, line)
			}
			name, typ := m[1], declared[family]
			ok := name == family ||
				(typ == "summary" && (name == family+"_sum" || name == family+"_count"))
			if !ok || typ == "" {
				return fmt.Errorf("line %d: sample %s outside its family (%s)", i+1, name, family)
			}
			if typ == "counter" && !strings.HasSuffix(name, "_total") {
				return fmt.Errorf("line %d: counter %s without _total", i+1, name)
			}
			if !strings.HasPrefix(name, "quail_") {
				return fmt.Errorf("line %d: %s lacks the quail_ prefix", i+1, name)
			}
			if _, err := strconv.ParseFloat(m[3], 64); err != nil {
				return fmt.Errorf("line %d: value %q", i+1, m[3])
			}
			if seen[m[1]+m[2]] {
				return fmt.Errorf("line %d: series %s%s twice", i+1, m[1], m[2])
			}
			seen[m[1]+m[2]] = true
		}
	}
	return nil
}
