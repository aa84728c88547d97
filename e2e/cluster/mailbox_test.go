package cluster

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// copy is one delivered copy of a test message in a final mailbox.
type copy struct {
	id   string    // its X-Cluster-Id
	box  string    // the host whose Maildir holds it
	path []string  // the hosts it passed, oldest first, from its Received lines
	seen time.Time // when the test first saw it
}

// mailboxes scans the demo Maildirs of the final hosts, remembering each
// file once: a file in new/ or cur/ never changes.
type mailboxes struct {
	hosts map[string]*host // every host, by its FQDN, to name Received hops
	boxes []*host

	mu     sync.Mutex
	files  map[string]bool
	copies []copy
}

func newMailboxes(all []*host, boxes ...*host) *mailboxes {
	m := &mailboxes{hosts: map[string]*host{}, boxes: boxes, files: map[string]bool{}}
	for _, h := range all {
		m.hosts[h.fqdn] = h
	}
	return m
}

// scan reads what arrived since the last scan and returns every copy so
// far.
func (m *mailboxes) scan() []copy {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.boxes {
		for _, sub := range []string{"new", "cur"} {
			ents, _ := os.ReadDir(filepath.Join(h.demo, sub))
			for _, e := range ents {
				// The unique part of the name: a file moved to cur/
				// gets ":2,..." appended.
				key := h.name + "/" + strings.SplitN(e.Name(), ":", 2)[0]
				if m.files[key] {
					continue
				}
				b, err := os.ReadFile(filepath.Join(h.demo, sub, e.Name()))
				if err != nil {
					continue
				}
				m.files[key] = true
				m.copies = append(m.copies, m.parse(h, b))
			}
		}
	}
	return append([]copy(nil), m.copies...)
}

var byHost = regexp.MustCompile(`\bby ([A-Za-z0-9.-]+)`)

// parse reads the id and the Received trail of one message.
func (m *mailboxes) parse(box *host, msg []byte) copy {
	c := copy{box: box.name, seen: time.Now()}
	head, _, _ := bytes.Cut(msg, []byte("\n\n"))
	var fields []string
	sc := bufio.NewScanner(bytes.NewReader(head))
	for sc.Scan() {
		l := sc.Text()
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += " " + strings.TrimSpace(l)
			continue
		}
		fields = append(fields, l)
	}
	for i := len(fields) - 1; i >= 0; i-- { // the oldest Received line is the lowest
		f := fields[i]
		name, value, _ := strings.Cut(f, ":")
		switch strings.ToLower(name) {
		case "x-cluster-id":
			c.id = strings.TrimSpace(value)
		case "received":
			// qmail-queue's own "(qmail N invoked by uid U)" names
			// no host; every server's line names its own.
			for _, by := range byHost.FindAllStringSubmatch(value, -1) {
				if h := m.hosts[strings.ToLower(by[1])]; h != nil {
					c.path = append(c.path, h.name)
				}
			}
		}
	}
	return c
}

// count is how many copies of each id there are, and how many arrived
// at each mailbox straight from via.
func count(copies []copy) map[string]int {
	n := map[string]int{}
	for _, c := range copies {
		n[c.id]++
	}
	return n
}

func direct(copies []copy, box string) int {
	n := 0
	for _, c := range copies {
		if c.box == box && strings.Join(c.path, " ") == "hub "+box {
			n++
		}
	}
	return n
}
