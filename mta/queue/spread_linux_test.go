package queue

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/spread"
)

func dirFlags(t *testing.T, dir string) (uint32, bool) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	return flags, err == nil
}

// On a filesystem with inode attributes (ext4 here), the queue and the
// split parents carry the top-directory attribute, so that mess/0,
// mess/1, ... land in different allocation groups.
func TestCreateSpreadsSplitDirectories(t *testing.T) {
	home := t.TempDir()
	if _, ok := dirFlags(t, home); !ok {
		t.Skip("the filesystem of the temporary directory has no inode attributes")
	}
	q, err := Create(home, DefaultSplit, Self)
	if err != nil {
		t.Fatal(err)
	}
	spread.Subdirs(home) // probe: does this filesystem keep the attribute?
	if f, _ := dirFlags(t, home); f&spread.TopdirFlag == 0 {
		t.Skip("the filesystem does not keep the top-directory attribute")
	}
	for _, d := range []string{q.Dir, q.Path("mess"), q.Path("info"), q.Path("local"), q.Path("remote")} {
		if f, _ := dirFlags(t, d); f&spread.TopdirFlag == 0 {
			t.Errorf("%s: flags %#x lack the top-directory attribute", filepath.Base(d), f)
		}
	}
	for _, d := range []string{q.Path("todo"), q.Path("mess", "0")} {
		if f, _ := dirFlags(t, d); f&spread.TopdirFlag != 0 {
			t.Errorf("%s: flags %#x carry the top-directory attribute, which only parents need", d, f)
		}
	}
}
