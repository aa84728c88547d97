package usertools_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// qail, elq and pinq (scripts/bin, as qmail's qail.sh, elq.sh, pinq.sh):
// maildir2mbox, then the mail reader with the arguments untouched; no
// reader when maildir2mbox fails.
func TestQailElqPinq(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readers := t.TempDir()
	for _, r := range []string{"Mail", "elm", "pine"} {
		script := "#!/bin/sh\nprintf '%s' \"$0\" >\"$OUT\"\nfor a; do printf ' [%s]' \"$a\" >>\"$OUT\"; done\nexit 7\n"
		os.WriteFile(filepath.Join(readers, r), []byte(script), 0o755)
	}
	m2m := filepath.Dir(testbin.Path(t, "maildir2mbox"))
	for script, reader := range map[string]string{"qail": "Mail", "elq": "elm", "pinq": "pine"} {
		dir := t.TempDir()
		md := filepath.Join(dir, "Maildir")
		for _, s := range []string{"new", "cur", "tmp"} {
			os.MkdirAll(filepath.Join(md, s), 0o700)
		}
		msg := filepath.Join(md, "new", "1.a")
		os.WriteFile(msg, []byte("Return-Path: <bob@x>\nSubject: s\n\nbody\n"), 0o600)
		at := time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)
		os.Chtimes(msg, at, at)
		out := filepath.Join(dir, "out")
		mbox := filepath.Join(dir, "mbox")
		env := []string{"PATH=" + m2m + ":" + readers + ":/usr/bin:/bin", "OUT=" + out,
			"MAILDIR=" + md, "MAIL=" + mbox, "MAILTMP=" + filepath.Join(dir, "tmp")}
		cmd := exec.Command("/bin/sh", filepath.Join(root, "scripts/bin", script), "-f", "two words", "")
		cmd.Env = env
		_, errs, code := testbin.Run(t, cmd)
		if code != 7 || errs != "" {
			t.Errorf("%s: exit %d, stderr %q; want the reader's 7", script, code, errs)
		}
		if got, _ := os.ReadFile(out); string(got) != filepath.Join(readers, reader)+" [-f] [two words] []" {
			t.Errorf("%s ran %q", script, got)
		}
		if got, _ := os.ReadFile(mbox); string(got) != "From bob@x Mon Feb 03 04:05:06 2020\nReturn-Path: <bob@x>\nSubject: s\n\nbody\n\n" {
			t.Errorf("%s: mbox %q", script, got)
		}
		os.Remove(out)
		cmd = exec.Command("/bin/sh", filepath.Join(root, "scripts/bin", script))
		cmd.Env = env[:2] // no MAILDIR: maildir2mbox fails
		if _, _, code := testbin.Run(t, cmd); code != 111 {
			t.Errorf("%s without MAILDIR: exit %d, want maildir2mbox's 111", script, code)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s ran %s after maildir2mbox failed", script, reader)
		}
	}
}
