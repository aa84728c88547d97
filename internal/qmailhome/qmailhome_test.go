package qmailhome

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSingleUser(t *testing.T) {
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	if SingleUser(home) {
		t.Fatal("an instance without control/singleuser is single-user")
	}
	os.WriteFile(filepath.Join(home, "control", "singleuser"), nil, 0o644)
	if !SingleUser(home) {
		t.Fatal("an empty control/singleuser does not make the instance single-user")
	}
	if SingleUser(filepath.Join(home, "missing")) {
		t.Fatal("a missing home is single-user")
	}
}
