package usertools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/usertools"
)

// qsmhook.c's escapes: %g sender, %h host, %u local part, %% percent;
// other escapes and a trailing percent vanish.
func TestQsmhookArgs(t *testing.T) {
	for in, want := range map[string]string{
		"%u":         "joe",
		"%u@%h":      "joe@example.org",
		"-f%g":       "-fbob@sender.example",
		"100%%":      "100%",
		"a%zb":       "ab",
		"end%":       "end",
		"%%u":        "%u",
		"plain text": "plain text",
	} {
		if got := usertools.QsmhookArgs(in, "bob@sender.example", "example.org", "joe"); got != want {
			t.Errorf("QsmhookArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQsmhook(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "mailer")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\"\ncat\nexit ${CODE:-0}\n"), 0o755)
	env := []string{
		"UFLINE=From bob@sender.example Thu Jan  1 00:00:00 2026\n",
		"RPLINE=Return-Path: <bob@sender.example>\n",
		"DTLINE=Delivered-To: box-joe@example.org\n",
		"LOCAL=box-joe", "HOST=example.org", "SENDER=bob@sender.example",
	}
	const msg = "Subject: hi\n\nbody\n"
	const uf, rp, dt = "From bob@sender.example Thu Jan  1 00:00:00 2026\n", "Return-Path: <bob@sender.example>\n", "Delivered-To: box-joe@example.org\n"
	tests := []struct {
		why    string
		env    []string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"UFLINE only by default", nil, []string{script, "%u", "%h"}, 0, "box-joe example.org\n" + uf + msg, ""},
		{"-l adds DTLINE, -P RPLINE, in qmail-local's order", nil, []string{"-lP", script}, 0, "\n" + uf + rp + dt + msg, ""},
		{"-n leaves UFLINE out", nil, []string{"-nl", script}, 0, "\n" + dt + msg, ""},
		{"-x drops a prefix of LOCAL in any case", nil, []string{"-x", "BOX-", script, "%u", "-f%g", "100%%"}, 0, "joe -fbob@sender.example 100%\n" + uf + msg, ""},
		{"-x without the prefix keeps LOCAL", nil, []string{"-xother-", script, "%u"}, 0, "box-joe\n" + uf + msg, ""},
		{"sendmail's -D -F -M -m -s are ignored", nil, []string{"-DFMms", script}, 0, "\n" + uf + msg, ""},
		{"the program's exit code", []string{"CODE=100"}, []string{script}, 100, "\n" + uf + msg, ""},
		{"a temporary failure", []string{"CODE=111"}, []string{script}, 111, "\n" + uf + msg, ""},
		{"no program", nil, nil, 100, "", "qsmhook: fatal: incorrect usage\n"},
		{"an unknown option", nil, []string{"-q", script}, 100, "", ""},
		{"a missing program", nil, []string{filepath.Join(dir, "none")}, 100, "", "qsmhook: fatal: command not found: "},
		{"a crash", nil, []string{"sh", "-c", "kill -9 $$"}, 111, "", "qsmhook: fatal: temporary problem: child crashed\n"},
	}
	for _, tt := range tests {
		o := run(t, append(append([]string{}, env...), tt.env...), msg, "qsmhook", tt.args...)
		if o.code != tt.code || o.stdout != tt.stdout || !strings.HasPrefix(o.stderr, tt.stderr) || (tt.stderr == "" && o.stderr != "") {
			t.Errorf("%s: qsmhook %q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.why, tt.args, o.code, o.stdout, o.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
	for _, drop := range []string{"UFLINE", "RPLINE", "DTLINE", "LOCAL", "HOST", "SENDER"} {
		var e []string
		for _, v := range env {
			if !strings.HasPrefix(v, drop+"=") {
				e = append(e, v)
			}
		}
		if o := run(t, e, msg, "qsmhook", script); o.code != 100 || o.stderr != "qsmhook: fatal: incorrect usage\n" {
			t.Errorf("without %s: %+v", drop, o)
		}
	}
}
