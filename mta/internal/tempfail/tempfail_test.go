package tempfail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

func TestTemporary(t *testing.T) {
	tests := []struct {
		err  error
		want bool
		why  string
	}{
		{nil, false, "no error"},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, false, "a missing file is a fact"},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, false, "permission denied is a fact"},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.ENOTDIR}, false, "not a directory is a fact"},
		{&fs.PathError{Op: "read", Path: "x", Err: syscall.EIO}, true, "I/O errors may pass"},
		{fmt.Errorf("wrapped: %w", &fs.PathError{Op: "stat", Path: "x", Err: syscall.ESTALE}), true, "a stale NFS handle may pass, through wrapping"},
		{errors.New("no errno"), true, "unknown: keep the mail"},
	}
	for _, tt := range tests {
		if got := Temporary(tt.err); got != tt.want {
			t.Errorf("%s: Temporary(%v) = %v", tt.why, tt.err, got)
		}
	}
	_, err := os.Stat("/nonexistent/x")
	if Temporary(err) {
		t.Error("a real ENOENT from os.Stat counted as temporary")
	}
}
