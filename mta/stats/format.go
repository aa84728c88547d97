package stats

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// seconds formats microseconds as exact decimal seconds, "12.345678".
func seconds(us uint64) string {
	frac := strconv.FormatUint(us%1e6, 10)
	for len(frac) < 6 {
		frac = "0" + frac
	}
	return strconv.FormatUint(us/1e6, 10) + "." + frac
}

// stampText formats a stamp in UTC, so a report does not depend on the
// machine's time zone.
func stampText(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000") + " UTC"
}

// unixSeconds formats a stamp as UNIX seconds with microseconds.
func unixSeconds(ns int64) string {
	return seconds(uint64(ns / 1000))
}

var resultNames = [numResults]string{"success", "failure", "deferral"}

func sumDomain(dst, src *DomainCounts) {
	for i := range dst.Results {
		dst.Results[i] += src.Results[i]
	}
}

func weightDomain(d *DomainCounts) uint64 {
	var n uint64
	for _, v := range d.Results {
		n += v
	}
	return n
}

func sumSender(dst, src *SenderCounts) {
	dst.Messages += src.Messages
	dst.Bytes += src.Bytes
}

func weightSender(s *SenderCounts) uint64 { return s.Messages }

func sumCount(dst, src *uint64) { *dst += *src }

func weightCount(n *uint64) uint64 { return *n }

// serverKeys lists the listeners in order: by log, then program.
func (s *Stats) serverKeys() []ServerKey {
	keys := make([]ServerKey, 0, len(s.Servers))
	for k := range s.Servers {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ServerKey) int {
		return cmp.Or(strings.Compare(a.Log, b.Log), strings.Compare(a.Server, b.Server))
	})
	return keys
}
