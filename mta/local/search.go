package local

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/mta/internal/tempfail"
)

// WritableMask is the permission bits that make a .qmail file or a home
// directory unsafe to obey: writable by group or others. (qmail's
// conf-patrn default is 002, others only; see the man page.)
const WritableMask = 0o022

// SafeExt is ext as it appears in .qmail file names: lowercased, with
// every '.' made ':' so that no extension can name a path outside the
// home directory.
func SafeExt(ext string) string {
	b := []byte(ext)
	for i, c := range b {
		switch {
		case c == '.':
			b[i] = ':'
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Candidates lists the .qmail file names qmail-local tries for dash and
// ext, in order, each with the value DEFAULT gets when that file is the
// one found (hasDefault false: DEFAULT stays unset). For ext "a-b" and
// dash "-": .qmail-a-b, .qmail-a-default (DEFAULT=b), .qmail-default
// (DEFAULT=a-b).
func Candidates(dash, ext string) []Candidate {
	safe := SafeExt(ext)
	first := Candidate{Name: ".qmail" + dash + safe}
	if n := len(safe) - 7; n >= 0 && safe[n:] == "default" && n <= len(ext) {
		first.Default, first.HasDefault = ext[n:], true
	}
	out := []Candidate{first}
	for i := len(safe); i >= 0; i-- {
		if i > 0 && safe[i-1] != '-' {
			continue
		}
		c := Candidate{Name: ".qmail" + dash + safe[:i] + "default"}
		if i <= len(ext) {
			c.Default, c.HasDefault = ext[i:], true
		}
		out = append(out, c)
	}
	return out
}

// Candidate is one .qmail file name to try.
type Candidate struct {
	Name       string
	Default    string
	HasDefault bool
}

// dotQmail is the .qmail file found for a delivery.
type dotQmail struct {
	Candidate
	Data        []byte
	ForwardOnly bool // the file has its owner's execute bit set
}

// findDotQmail tries the candidates in home. found is false when none
// exists as a regular file.
func findDotQmail(home, dash, ext string) (dotQmail, bool, *failure) {
	for _, c := range Candidates(dash, ext) {
		b, mode, ok, f := readQmailFile(filepath.Join(home, c.Name), c.Name)
		if f != nil {
			return dotQmail{}, false, f
		}
		if ok {
			return dotQmail{Candidate: c, Data: b, ForwardOnly: mode&0o100 != 0}, true, nil
		}
	}
	return dotQmail{}, false, nil
}

// readQmailFile is qmail-local's qmeexists: missing, or not a regular
// file, means "not there"; unreadable for a reason that may pass, or for
// lack of permission, is a temporary failure; writable by others is
// refused.
func readQmailFile(path, name string) ([]byte, os.FileMode, bool, *failure) {
	f, err := os.Open(path)
	if err != nil {
		if tempfail.Temporary(err) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
			return nil, 0, false, tempf("Unable to open %s: %s. (#4.3.0)", name, djberr.QmailText(err))
		}
		return nil, 0, false, nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, false, tempf("Unable to open %s: %s. (#4.3.0)", name, djberr.QmailText(err))
	}
	if !st.Mode().IsRegular() {
		return nil, 0, false, nil
	}
	if st.Mode().Perm()&WritableMask != 0 {
		return nil, 0, false, tempf("Uh-oh: .qmail file is writable. (#4.7.0)")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxDotQmail+1))
	if err != nil {
		return nil, 0, false, tempf("Unable to read %s: %s. (#4.3.0)", name, djberr.QmailText(err))
	}
	if len(b) > maxDotQmail {
		return nil, 0, false, tempf("Uh-oh: %s is too large. (#4.2.1)", name)
	}
	return b, st.Mode().Perm(), true, nil
}

// maxDotQmail bounds what is read of a .qmail file.
const maxDotQmail = 16 << 20

// exists is qmail-local's qmeox: does home/name exist (any type)?
func exists(home, name string) (bool, *failure) {
	_, err := os.Stat(filepath.Join(home, name))
	if err == nil {
		return true, nil
	}
	if tempfail.Temporary(err) {
		return false, tempf("Unable to open %s: %s. (#4.3.0)", name, djberr.QmailText(err))
	}
	return false, nil
}
