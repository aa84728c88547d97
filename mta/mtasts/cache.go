package mtasts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cache keeps policies on disk, one file per domain in Dir, shared by
// every qmail-remote (processes, or deliveries inside qmail-rspawn). A
// file is written to a temporary name in Dir, fsync'd and renamed over
// the domain's, so a reader sees a whole policy or the previous one. Its
// modification time is set to the policy's expiry, which lets Trim drop
// expired policies, and then the soonest to expire, by a look at the
// directory alone.
//
// The file holds a header and the policy as fetched:
//
//	quail-mta-sts 1
//	fetched 1700000000
//	id 20160831085700Z
//
//	version: STSv1
//	...
//
// An unreadable or malformed file is no policy; it is replaced at the
// next fetch.
type Cache struct {
	Dir string
	// Max bounds the files kept; 0 means DefaultMaxEntries.
	Max int
}

// DefaultMaxEntries bounds the cache: with policies of MaxPolicyBytes
// at most, the cache never passes 320 MiB, and real policies are a few
// hundred bytes.
const DefaultMaxEntries = 5000

// Entry is a cached policy.
type Entry struct {
	Fetched time.Time
	ID      string
	Policy  *Policy
}

// Expires is when the policy stops counting (RFC 8461 section 3.2).
func (e *Entry) Expires() time.Time { return e.Fetched.Add(e.Policy.MaxAge) }

const cacheMagic = "quail-mta-sts 1"

// fileName is the cache file of domain, "" when the domain cannot name
// a file safely (then nothing is cached for it).
func (c *Cache) fileName(domain string) string {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if !hostName(d) {
		return ""
	}
	return filepath.Join(c.Dir, d)
}

// Get returns domain's cached policy, expired or not; nil when there is
// none (or none readable).
func (c *Cache) Get(domain string) *Entry {
	name := c.fileName(domain)
	if name == "" {
		return nil
	}
	b, err := os.ReadFile(name)
	if err != nil || len(b) > MaxPolicyBytes+256 {
		return nil
	}
	e, err := decodeEntry(string(b))
	if err != nil {
		return nil
	}
	return e
}

func decodeEntry(s string) (*Entry, error) {
	head, text, ok := strings.Cut(s, "\n\n")
	if !ok {
		return nil, errors.New("no header")
	}
	lines := strings.Split(head, "\n")
	if len(lines) != 3 || lines[0] != cacheMagic {
		return nil, errors.New("bad header")
	}
	f, ok1 := strings.CutPrefix(lines[1], "fetched ")
	id, ok2 := strings.CutPrefix(lines[2], "id ")
	secs, err := strconv.ParseInt(f, 10, 64)
	if !ok1 || !ok2 || err != nil || !alnum(id) {
		return nil, errors.New("bad header")
	}
	p, err := ParsePolicy(text)
	if err != nil {
		return nil, err
	}
	return &Entry{Fetched: time.Unix(secs, 0), ID: id, Policy: p}, nil
}

// Put stores domain's policy, then trims the cache.
func (c *Cache) Put(domain string, e *Entry) error {
	name := c.fileName(domain)
	if name == "" {
		return fmt.Errorf("%q cannot be cached", domain)
	}
	body := cacheMagic + "\nfetched " + strconv.FormatInt(e.Fetched.Unix(), 10) + "\nid " + e.ID + "\n\n" + e.Policy.Text
	tmp, err := os.CreateTemp(c.Dir, ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		exp := e.Expires()
		err = os.Chtimes(tmp.Name(), exp, exp)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return c.Trim(time.Now())
}

// Trim removes the policies expired at now, temporary files left by a
// writer that died an hour or more ago, and then, while more than Max
// files remain, those that expire first.
func (c *Cache) Trim(now time.Time) error {
	max := c.Max
	if max <= 0 {
		max = DefaultMaxEntries
	}
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return err
	}
	type file struct {
		name string
		exp  time.Time
	}
	var keep []file
	for _, de := range ents {
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		path := filepath.Join(c.Dir, de.Name())
		if strings.HasPrefix(de.Name(), ".tmp-") {
			// A temporary file's time is its write's, not an expiry.
			if now.Sub(info.ModTime()) > time.Hour {
				os.Remove(path)
			}
			continue
		}
		if !info.ModTime().After(now) {
			os.Remove(path)
			continue
		}
		keep = append(keep, file{path, info.ModTime()})
	}
	if len(keep) <= max {
		return nil
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].exp.Before(keep[j].exp) })
	for _, f := range keep[:len(keep)-max] {
		if err := os.Remove(f.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Domains lists the domains with a cached policy, for qmail-tlsrpt and
// qmail-showctl.
func (c *Cache) Domains() ([]string, error) {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range ents {
		if !strings.HasPrefix(de.Name(), ".") && de.Type().IsRegular() {
			out = append(out, de.Name())
		}
	}
	return out, nil
}
