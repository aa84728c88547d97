package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// Report is an aggregate report in RFC 8460's JSON (section 4).
type Report struct {
	OrganizationName string         `json:"organization-name"`
	DateRange        DateRange      `json:"date-range"`
	ContactInfo      string         `json:"contact-info"`
	ReportID         string         `json:"report-id"`
	Policies         []PolicyResult `json:"policies"`
}

// DateRange is the period a report covers, in RFC 3339 UTC.
type DateRange struct {
	Start string `json:"start-datetime"`
	End   string `json:"end-datetime"`
}

// PolicyResult is one policy and the sessions it governed.
type PolicyResult struct {
	Policy         PolicyDesc      `json:"policy"`
	Summary        Summary         `json:"summary"`
	FailureDetails []FailureDetail `json:"failure-details,omitempty"`
}

// PolicyDesc says which policy: its type, its text when known (the
// MTA-STS policy's lines, the TLSA records), the domain it belongs to.
type PolicyDesc struct {
	Type   string   `json:"policy-type"`
	String []string `json:"policy-string,omitempty"`
	Domain string   `json:"policy-domain"`
}

// Summary counts the sessions.
type Summary struct {
	Successful int `json:"total-successful-session-count"`
	Failure    int `json:"total-failure-session-count"`
}

// FailureDetail counts the failed sessions of one kind at one host.
type FailureDetail struct {
	ResultType          string `json:"result-type"`
	ReceivingMXHostname string `json:"receiving-mx-hostname,omitempty"`
	ReceivingIP         string `json:"receiving-ip,omitempty"`
	FailedSessionCount  int    `json:"failed-session-count"`
}

// Day is the UTC day a report covers.
type Day struct{ Start time.Time }

// DayOf is the UTC day of t.
func DayOf(t time.Time) Day {
	y, m, d := t.UTC().Date()
	return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDay reads "YYYY-MM-DD".
func ParseDay(s string) (Day, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Day{}, err
	}
	return Day{t.UTC()}, nil
}

// Contains says whether t falls on the day.
func (d Day) Contains(t time.Time) bool {
	return !t.Before(d.Start) && t.Before(d.Start.AddDate(0, 0, 1))
}

// End is the day's last second, as RFC 8460's example ends a day.
func (d Day) End() time.Time { return d.Start.AddDate(0, 0, 1).Add(-time.Second) }

func (d Day) String() string { return d.Start.Format("2006-01-02") }

// Counter counts sessions per recipient domain, policy and failure.
type Counter struct {
	domains map[string]*domainCount
}

type policyKey struct{ typ, domain string }

type failureKey struct{ result, mx, ip string }

type domainCount struct {
	policies map[policyKey]*policyCount
}

type policyCount struct {
	ok, failed int
	failures   map[failureKey]int
}

// Add counts one session.
func (c *Counter) Add(s Session) {
	if c.domains == nil {
		c.domains = map[string]*domainCount{}
	}
	dc := c.domains[s.Domain]
	if dc == nil {
		dc = &domainCount{policies: map[policyKey]*policyCount{}}
		c.domains[s.Domain] = dc
	}
	k := policyKey{s.Policy, s.PolicyDomain()}
	pc := dc.policies[k]
	if pc == nil {
		pc = &policyCount{failures: map[failureKey]int{}}
		dc.policies[k] = pc
	}
	if !s.Failed() {
		pc.ok++
		return
	}
	pc.failed++
	pc.failures[failureKey{s.Result, s.MX, s.IP}]++
}

// Domains lists the recipient domains counted, sorted.
func (c *Counter) Domains() []string {
	out := make([]string, 0, len(c.domains))
	for d := range c.domains {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Meta is what a report says about its sender.
type Meta struct {
	Organization string // organization-name
	Contact      string // contact-info
	Submitter    string // the sending domain, in the report id and file name
}

// ReportID is the report's id: unique per submitter, domain and day.
func ReportID(m Meta, domain string, day Day) string {
	return day.Start.Format("2006-01-02T15:04:05Z") + "_" + domain + "_" + m.Submitter
}

// Report is the report for a recipient domain's day. policyString gives
// the text of a policy (nil when not known).
func (c *Counter) Report(domain string, day Day, m Meta, policyString func(typ, policyDomain string) []string) Report {
	r := Report{
		OrganizationName: m.Organization,
		DateRange:        DateRange{Start: day.Start.Format(time.RFC3339), End: day.End().Format(time.RFC3339)},
		ContactInfo:      m.Contact,
		ReportID:         ReportID(m, domain, day),
		Policies:         []PolicyResult{},
	}
	dc := c.domains[domain]
	if dc == nil {
		return r
	}
	keys := make([]policyKey, 0, len(dc.policies))
	for k := range dc.policies {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].typ != keys[j].typ {
			return keys[i].typ < keys[j].typ
		}
		return keys[i].domain < keys[j].domain
	})
	for _, k := range keys {
		pc := dc.policies[k]
		pr := PolicyResult{
			Policy:  PolicyDesc{Type: k.typ, Domain: k.domain},
			Summary: Summary{Successful: pc.ok, Failure: pc.failed},
		}
		if policyString != nil && k.typ != PolicyNone {
			pr.Policy.String = policyString(k.typ, k.domain)
		}
		fks := make([]failureKey, 0, len(pc.failures))
		for fk := range pc.failures {
			fks = append(fks, fk)
		}
		sort.Slice(fks, func(i, j int) bool {
			a, b := fks[i], fks[j]
			if a.result != b.result {
				return a.result < b.result
			}
			if a.mx != b.mx {
				return a.mx < b.mx
			}
			return a.ip < b.ip
		})
		for _, fk := range fks {
			pr.FailureDetails = append(pr.FailureDetails, FailureDetail{
				ResultType: fk.result, ReceivingMXHostname: fk.mx, ReceivingIP: fk.ip, FailedSessionCount: pc.failures[fk],
			})
		}
		r.Policies = append(r.Policies, pr)
	}
	return r
}

// JSON is the report as RFC 8460 sends it, indented for whoever reads it.
func (r Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ") // of strings and numbers only: cannot fail
	return append(b, '\n')
}

// Gzip is the report compressed, as application/tlsrpt+gzip (RFC 8460
// section 5.3).
func (r Report) Gzip() []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(r.JSON())
	w.Close()
	return b.Bytes()
}

// FileName is the report's name as an attachment (RFC 8460 section
// 5.1): submitter!policy-domain!begin!end.json.gz, the times in seconds
// since 1970.
func FileName(m Meta, domain string, day Day) string {
	return m.Submitter + "!" + domain + "!" + strconv.FormatInt(day.Start.Unix(), 10) + "!" + strconv.FormatInt(day.End().Unix(), 10) + ".json.gz"
}
