package dnsclient

import (
	"strings"

	"github.com/miekg/dns"
)

// answer is what a reply says about one name and type once its CNAME chain
// has been followed.
type answer struct {
	records []dns.RR // records of the type asked, owned by the chain's end
	end     string   // the last name of the chain (qname when there is none)
	links   int      // CNAME links followed
	nx      bool     // RCODE NXDOMAIN: the chain's end does not exist
}

// readAnswer follows the CNAME chain from qname through the answer section,
// at most maxLinks links, and collects the IN records of qtype owned by the
// name reached. Records owned by other names are ignored: a reply cannot
// slip in data for a name that was not asked for.
func readAnswer(reply *dns.Msg, qname string, qtype uint16, maxLinks int) (answer, bool) {
	a := answer{end: qname, nx: reply.Rcode == dns.RcodeNameError}
	for {
		for _, rr := range reply.Answer {
			h := rr.Header()
			if h.Class == dns.ClassINET && h.Rrtype == qtype && strings.EqualFold(h.Name, a.end) {
				a.records = append(a.records, rr)
			}
		}
		if len(a.records) > 0 || qtype == dns.TypeCNAME {
			return a, true
		}
		next := ""
		for _, rr := range reply.Answer {
			if c, ok := rr.(*dns.CNAME); ok && c.Hdr.Class == dns.ClassINET && strings.EqualFold(c.Hdr.Name, a.end) {
				next = c.Target
				break
			}
		}
		if next == "" {
			return a, true
		}
		if a.links >= maxLinks {
			return a, false
		}
		a.links++
		a.end = next
	}
}
