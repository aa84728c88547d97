package multilog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testDir(t *testing.T, cfg DirConfig) *logDir {
	t.Helper()
	cfg.Path = filepath.Join(t.TempDir(), "log")
	if cfg.Size == 0 {
		cfg.Size, cfg.Num = DefaultSize, DefaultNum
	}
	cfg.Cooldown = MinCooldown
	d, err := openLogDir(cfg, nil, os.Stderr, func(f string, a ...any) { t.Logf("warning: "+f, a...) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.closeFds)
	return d
}

// SIGALRM and the a action rotate only a current that holds something.
func TestForceRotateEmpty(t *testing.T) {
	d := testDir(t, DirConfig{})
	d.forceRotate()
	if a := archivesIn(t, d.cfg.Path); len(a) != 0 {
		t.Fatalf("an empty current was archived: %v", a)
	}
	d.put([]byte("x"))
	d.putNewline()
	d.forceRotate()
	if a := archivesIn(t, d.cfg.Path); len(a) != 1 || !fileIs(a[0], "x\n")() {
		t.Fatalf("archives %v", a)
	}
	d.forceRotate()
	if a := archivesIn(t, d.cfg.Path); len(a) != 1 {
		t.Fatalf("rotated the new empty current: %v", a)
	}
}

// The cap S never removes the newest archive, even when it alone is over.
func TestTotalCapKeepsNewest(t *testing.T) {
	d := testDir(t, DirConfig{Size: 4096, Num: 100, TotalCap: 10})
	for _, line := range []string{"first line", "second line"} {
		d.put([]byte(line))
		d.putNewline()
		d.forceRotate()
	}
	a := archivesIn(t, d.cfg.Path)
	if len(a) != 1 || !fileIs(a[0], "second line\n")() {
		t.Fatalf("archives %v", a)
	}
}

// n keeps n-1 archives, removing the oldest.
func TestNumKeepsFewer(t *testing.T) {
	d := testDir(t, DirConfig{Size: 4096, Num: 3})
	for _, line := range []string{"1", "2", "3", "4", "5"} {
		d.put([]byte(line))
		d.putNewline()
		d.forceRotate()
	}
	var got []string
	for _, a := range archivesIn(t, d.cfg.Path) {
		b, _ := os.ReadFile(a)
		got = append(got, string(b))
	}
	if strings.Join(got, "") != "4\n5\n" {
		t.Fatalf("kept %q", got)
	}
}
