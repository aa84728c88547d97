package mtasts

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func entry(t *testing.T, id string, fetched time.Time, maxAge int) *Entry {
	t.Helper()
	p, err := ParsePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: " + strconv.Itoa(maxAge) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return &Entry{Fetched: fetched, ID: id, Policy: p}
}

func TestCacheRoundTrip(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	now := time.Unix(time.Now().Unix(), 0)
	if c.Get("example.test") != nil {
		t.Fatal("a policy in an empty cache")
	}
	if err := c.Put("Example.TEST.", entry(t, "id1", now, 3600)); err != nil {
		t.Fatal(err)
	}
	e := c.Get("example.test")
	if e == nil || e.ID != "id1" || !e.Fetched.Equal(now) || e.Policy.MaxAge != time.Hour || e.Policy.MX[0] != "mx.example.test" {
		t.Fatalf("%+v", e)
	}
	info, err := os.Stat(filepath.Join(c.Dir, "example.test"))
	if err != nil || !info.ModTime().Equal(now.Add(time.Hour)) || info.Mode().Perm() != 0o644 {
		t.Fatalf("file: %v, %v", info, err)
	}
	// A newer policy replaces the file; nothing temporary is left.
	if err := c.Put("example.test", entry(t, "id2", now, 7200)); err != nil {
		t.Fatal(err)
	}
	if e := c.Get("example.test"); e == nil || e.ID != "id2" {
		t.Fatalf("%+v", e)
	}
	if names, _ := os.ReadDir(c.Dir); len(names) != 1 {
		t.Fatalf("files %v", names)
	}
}

func TestCacheRefusesOddFiles(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	for name, body := range map[string]string{
		"noheader.test":  "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 5\n",
		"badmagic.test":  "quail-mta-sts 2\nfetched 1\nid a\n\nversion: STSv1\nmode: enforce\nmx: a.test\nmax_age: 5\n",
		"badid.test":     "quail-mta-sts 1\nfetched 1\nid a-b\n\nversion: STSv1\nmode: enforce\nmx: a.test\nmax_age: 5\n",
		"badpolicy.test": "quail-mta-sts 1\nfetched 1\nid a\n\nversion: STSv1\n",
	} {
		os.WriteFile(filepath.Join(c.Dir, name), []byte(body), 0o644)
		if c.Get(name) != nil {
			t.Errorf("%s: read as a policy", name)
		}
	}
	for _, d := range []string{"../escape", "a/b", "", ".hidden", "bad_char!.test"} {
		if err := c.Put(d, entry(t, "x", time.Now(), 60)); err == nil {
			t.Errorf("%q cached", d)
		}
	}
}

// Trim keeps the cache within Max, dropping the expired and then those
// that expire first, and cleans up a dead writer's temporary file.
func TestCacheTrim(t *testing.T) {
	c := &Cache{Dir: t.TempDir(), Max: 3}
	now := time.Now()
	for i, age := range []int{100, 600, 300, 500, 200} {
		if err := c.Put("d"+strconv.Itoa(i)+".test", entry(t, "x", now, age)); err != nil {
			t.Fatal(err)
		}
	}
	expired := entry(t, "x", now.Add(-2*time.Hour), 60)
	c.Max = 10
	c.Put("old.test", expired)
	tmp := filepath.Join(c.Dir, ".tmp-dead")
	os.WriteFile(tmp, []byte("half"), 0o600)
	os.Chtimes(tmp, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	fresh := filepath.Join(c.Dir, ".tmp-busy")
	os.WriteFile(fresh, []byte("half"), 0o600)
	if err := c.Trim(now); err != nil {
		t.Fatal(err)
	}
	got, _ := c.Domains()
	want := map[string]bool{"d1.test": true, "d3.test": true, "d2.test": true}
	if len(got) != 3 {
		t.Fatalf("kept %v", got)
	}
	for _, d := range got {
		if !want[d] {
			t.Fatalf("kept %v", got)
		}
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("dead writer's file left")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a writer's file in use removed")
	}
}
