package showctl

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestListIsTheManual keeps qmail-showctl's list and qmail-control(5) in
// step: the page documents, under FILES, exactly the control files
// qmail-showctl knows, so that a file added to one is added to the other.
func TestListIsTheManual(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(root, "man", "qmail-control.5"))
	if err != nil {
		t.Fatal(err)
	}
	documented := pageFiles(string(page))
	if len(documented) == 0 {
		t.Fatal("qmail-control(5) documents no control file under FILES")
	}
	listed := map[string]bool{}
	for _, n := range alsoKnown {
		listed[n] = true
	}
	for _, e := range controls {
		listed[e.name] = true
	}
	for _, n := range sorted(listed) {
		if !documented[n] {
			t.Errorf("qmail-showctl knows control/%s, qmail-control(5) does not document it", n)
		}
	}
	for _, n := range sorted(documented) {
		if !listed[n] {
			t.Errorf("qmail-control(5) documents control/%s, qmail-showctl does not know it", n)
		}
	}
}

// pageFiles returns the names given by .Pa on the .It lines of the FILES
// section of an mdoc page: ".It Pa a , Pa b" documents a and b.
func pageFiles(page string) map[string]bool {
	out := map[string]bool{}
	inFiles := false
	for _, l := range strings.Split(page, "\n") {
		if h, ok := strings.CutPrefix(l, ".Sh "); ok {
			inFiles = strings.TrimSpace(h) == "FILES"
			continue
		}
		if !inFiles || !strings.HasPrefix(l, ".It ") {
			continue
		}
		f := strings.Fields(l)
		for i := 1; i+1 < len(f); i++ {
			if f[i] == "Pa" {
				out[f[i+1]] = true
			}
		}
	}
	return out
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
