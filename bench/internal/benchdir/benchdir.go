// Package benchdir makes the temporary directories the mail benchmarks
// run their systems in, so that no system's files share block groups
// with another's, with the machine's other temporary files, or with an
// earlier run's.
//
// Why it matters: on ext4 without a journal (the development machines'
// filesystem) every inode allocation scans past the inodes freed in the
// last seconds in its group (see spread.Subdirs). A benchmark's cleanup
// frees tens of thousands of files at once; a system placed in the same
// groups right after would pay for them on every file it makes.
package benchdir

import (
	"os"

	"github.com/quail-mta/quail/internal/spread"
)

// Top makes the benchmark's own directory below the system's temporary
// directory, readable by everyone (Postfix's daemons run as postfix and
// nobody and must reach their directories below it), with its
// subdirectories spread over block groups.
func Top(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.Remove(dir)
		return "", err
	}
	spread.Subdirs(dir)
	return dir, nil
}

// Instance makes a directory for one system below top, named name and a
// random suffix. ext4 places a spread directory's child by the hash of its
// name, so a fixed name would put every run's instance into the groups
// the previous run's cleanup has just filled with freed inodes.
func Instance(top, name string) (string, error) {
	d, err := os.MkdirTemp(top, name+"-")
	if err != nil {
		return "", err
	}
	return d, os.Chmod(d, 0o755)
}
