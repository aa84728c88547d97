package showctl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShow(t *testing.T) {
	for _, c := range []struct {
		why   string
		files map[string]string
		want  []string // lines that must appear
	}{
		{"defaults come from control/me where qmail's do",
			map[string]string{"me": "hub.example\n"},
			[]string{"me: My name is hub.example.", "bouncehost: (Default.) Bounce host name is hub.example.",
				"bouncefrom: (Default.) Bounce user name is MAILER-DAEMON.", "databytes: (Default.) SMTP DATA limit is 0 bytes.",
				"rcpthosts: (Default.) SMTP clients may send messages to any recipient.",
				"morercpthosts: (Default.) No rcpthosts; morercpthosts is irrelevant.",
				"morercpthosts.cdb: (Default.) No effect."}},
		{"without control/me the literal defaults show",
			map[string]string{},
			[]string{"me: (Default.) My name is undefined! Uh-oh.", "bouncehost: (Default.) Bounce host name is bouncehost."}},
		{"values, lists with comments skipped, unprintable bytes as '?'",
			map[string]string{"me": "a\x01b\n", "databytes": "1000\n", "locals": "# mine\nlocalhost\nhub.example\n", "concurrencyremote": "x\n"},
			[]string{"me: My name is a?b.", "databytes: SMTP DATA limit is 1000 bytes.",
				"locals: ", "Messages for localhost are delivered locally.", "Messages for hub.example are delivered locally.",
				"concurrencyremote: Oops! Trouble reading this file."}},
		{"morercpthosts without its table",
			map[string]string{"rcpthosts": "example.com\n", "morercpthosts": "example.org\n"},
			[]string{"SMTP clients may send messages to recipients at example.com.", "SMTP clients may send messages to recipients at example.org.",
				"morercpthosts.cdb: Oops! morercpthosts exists but morercpthosts.cdb doesn't."}},
		{"a table without its source",
			map[string]string{"morercpthosts.cdb": ""},
			[]string{"morercpthosts.cdb: Oops! morercpthosts.cdb exists but morercpthosts doesn't."}},
		{"Warlord's compiled tables are qmail-smtpd's, not unknown files",
			map[string]string{"badmimetypes.cdb": "", "badloadertypes.cdb": ""},
			[]string{"badmimetypes: (Default.) No attachment contents are refused."}},
		{"quail's controls and unknown files",
			map[string]string{"singleuser": "", "qmqpservers": "127.0.0.1\n", "mystery": "x"},
			[]string{"singleuser: Single-user instance: every daemon runs as the invoking user.", "QMQP server: 127.0.0.1.",
				"mystery: I have no idea what this file does.", "servercert.pem: (Default.) No server certificate; STARTTLS is not offered."}},
	} {
		home := t.TempDir()
		os.Mkdir(filepath.Join(home, "control"), 0o755)
		for name, content := range c.files {
			os.WriteFile(filepath.Join(home, "control", name), []byte(content), 0o644)
		}
		var out bytes.Buffer
		if code := Show(&out, home); code != 0 {
			t.Errorf("%s: exit %d", c.why, code)
		}
		lines := strings.Split(out.String(), "\n")
		for _, w := range c.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%s: no line %q in\n%s", c.why, w, out.String())
			}
		}
		if strings.Contains(out.String(), "no idea what this file does") != (c.files["mystery"] != "") {
			t.Errorf("%s: a known file was reported as unknown:\n%s", c.why, out.String())
		}
	}
}

func TestShowTableFreshness(t *testing.T) {
	home := t.TempDir()
	ctl := filepath.Join(home, "control")
	os.Mkdir(ctl, 0o755)
	src, db := filepath.Join(ctl, "morercpthosts"), filepath.Join(ctl, "morercpthosts.cdb")
	os.WriteFile(src, []byte("example.org\n"), 0o644)
	os.WriteFile(db, nil, 0o644)
	old := time.Now().Add(-time.Hour)
	for _, c := range []struct {
		older string
		want  string
	}{
		{src, "morercpthosts.cdb: Modified recently enough; hopefully up to date."},
		{db, "morercpthosts.cdb: Oops! morercpthosts.cdb is older than morercpthosts."},
	} {
		now := time.Now()
		os.Chtimes(src, now, now)
		os.Chtimes(db, now, now)
		os.Chtimes(c.older, old, old)
		var out bytes.Buffer
		Show(&out, home)
		if !strings.Contains(out.String(), "\n"+c.want+"\n") {
			t.Errorf("want %q in\n%s", c.want, out.String())
		}
	}
}

func TestShowWithoutControlDirectory(t *testing.T) {
	var out bytes.Buffer
	if code := Show(&out, filepath.Join(t.TempDir(), "none")); code != 111 {
		t.Errorf("exit %d, want 111", code)
	}
	if !strings.Contains(out.String(), "Oops! Unable to open ") {
		t.Errorf("output %q", out.String())
	}
}
