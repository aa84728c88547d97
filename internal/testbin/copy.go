package testbin

import (
	"os"
	"path/filepath"
	"testing"
)

// CopyProgram writes a copy of quail's program (built as Path builds it)
// to path with mode, set-uid and set-gid bits included, making path's
// directory as needed. Where the build's own directory is closed to other
// users, or a test needs a file it may replace or chmod, a copy serves.
func CopyProgram(t testing.TB, program, path string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(Path(t, program))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o700); err != nil {
		t.Fatal(err)
	}
	// Chmod after the write: the umask would drop bits, and WriteFile
	// never sets set-uid or set-gid.
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
