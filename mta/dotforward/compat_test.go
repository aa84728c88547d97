package dotforward

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// Debian's dot-forward (1:0.71) reads its controls and runs qmail-queue
// in /var/lib/qmail: the test binds a fresh qmail home there in a mount
// namespace of its own, for Debian's and for ours (which takes QMAILHOME).
const debianHome = "/var/lib/qmail"

func isolated(t *testing.T, home string, env []string, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	unshare := testbin.Peer(t, "unshare")
	if _, err := os.Stat(debianHome); err != nil {
		t.Skipf("%s missing: %v", debianHome, err)
	}
	script := `mount --bind "$0" ` + debianHome + ` && exec "$@"`
	cmd := exec.Command(unshare, append([]string{"-m", "sh", "-c", script, home}, argv...)...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}, env...)
	stdout, stderr, code = testbin.Run(t, cmd)
	if strings.Contains(stderr, "unshare failed") || strings.Contains(stderr, "mount: ") {
		if os.Getenv("QUAIL_REQUIRE_PEERS") == "1" {
			t.Fatalf("cannot make a mount namespace: %s", stderr)
		}
		t.Skipf("cannot make a mount namespace: %s", stderr)
	}
	return stdout, stderr, code
}

var qp = regexp.MustCompile(`qp [0-9]+`)

func TestDotForwardMatchesDebian(t *testing.T) {
	theirs, ours := testbin.Peer(t, "dot-forward"), testbin.Path(t, "dot-forward")
	baseEnv := []string{"USER=joe", "HOST=host.dom", "NEWSENDER=sender@else.dom", "DTLINE=Delivered-To: joe@host.dom\n",
		"UFLINE=From sender@else.dom Thu Jan  1 00:00:00 1970\n", "RPLINE=Return-Path: <sender@else.dom>\n"}
	cases := []struct {
		why      string
		files    map[string]string
		args     []string
		env      []string
		controls map[string]string
		qcode    int
	}{
		{why: "addresses, qualified", files: map[string]string{".forward": "fred, Bob <bob@other.dom> (Bob)\nplus+, x@y\n"}},
		{why: "qualified by the controls", files: map[string]string{".forward": "fred, plus+, x@y\n"}, controls: map[string]string{"defaulthost": "dh\n", "defaultdomain": "dd.om\n", "plusdomain": "pd.om\n"}},
		{why: "\\user keeps a copy", files: map[string]string{".forward": "\\joe, fred@else.dom\n"}},
		{why: "user@host keeps a copy", files: map[string]string{".forward": "JOE@Host.Dom, fred@else.dom\n"}},
		{why: "the user's name alone", files: map[string]string{".forward": "joe\n"}},
		{why: "a program", files: map[string]string{".forward": "\"|cat > seen\"\n"}},
		{why: "a program and an address", files: map[string]string{".forward": "\"|cat > seen\", fred@else.dom\n"}},
		{why: "a program that fails for good", files: map[string]string{".forward": "\"|exit 100\"\n"}},
		{why: "a program that fails for now", files: map[string]string{".forward": "\"|exit 1\"\n"}},
		{why: "a program's 77", files: map[string]string{".forward": "\"|exit 77\"\n"}},
		{why: "a program that reads nothing", files: map[string]string{".forward": "\"|true\"\n"}},
		{why: "file deliveries are refused", files: map[string]string{".forward": "/var/mail/joe\n"}},
		{why: "comments and an empty line end", files: map[string]string{".forward": "# comment\nfred@else.dom\n\nnot@read.dom\n"}},
		{why: "an empty file is skipped", files: map[string]string{".forward": "", ".forward2": "fred@else.dom\n"}, args: []string{".forward", ".forward2"}},
		{why: "only comments is skipped", files: map[string]string{".forward": "# nothing\n"}},
		{why: "a missing file is skipped", files: map[string]string{".forward2": "fred@else.dom\n"}, args: []string{".forward", ".forward2"}},
		{why: "no files at all", args: []string{}},
		{why: "a file that is a directory", files: map[string]string{"d/x": ""}, args: []string{"d"}},
		{why: "a parse error", files: map[string]string{".forward": "\"unbalanced\n"}},
		{why: "a > without <", files: map[string]string{".forward": "a>\n"}},
		{why: "a last line without newline", files: map[string]string{".forward": "fred@else.dom"}},
		{why: "the queue refuses for good", files: map[string]string{".forward": "fred@else.dom\n"}, qcode: 31},
		{why: "the queue refuses for now", files: map[string]string{".forward": "fred@else.dom\n"}, qcode: 81},
		{why: "no variables at all", files: map[string]string{".forward": "fred\n"}, env: []string{}},
		{why: "a bad option", args: []string{"-x", ".forward"}},
	}
	for _, c := range cases {
		for _, n := range []bool{false, true} {
			args := c.args
			if args == nil {
				args = []string{".forward"}
			}
			why := c.why
			if n {
				args = append([]string{"-n"}, args...)
				why += ", -n"
			}
			env := baseEnv
			if c.env != nil {
				env = c.env
			}
			get := func(prog string) (string, string, int, []string, string) {
				home := t.TempDir()
				ctl := map[string]string{"control/me": "me.dom\n"}
				for k, v := range c.controls {
					ctl["control/"+k] = v
				}
				testbin.WriteFiles(t, home, ctl)
				q := testbin.StandInQueue(t, filepath.Join(home, "bin"))
				if c.qcode != 0 {
					q.SetCode(t, c.qcode)
				}
				dir := t.TempDir()
				files := map[string]string{"message": "Subject: hi\n\nbody\n"}
				for k, v := range c.files {
					files[k] = v
				}
				testbin.WriteFiles(t, dir, files)
				out, errs, code := isolated(t, home, env, append([]string{"sh", "-c", `cd "$0" && exec "$@" < message`, dir, prog}, args...)...)
				seen, _ := os.ReadFile(filepath.Join(dir, "seen"))
				return out, qp.ReplaceAllString(errs, "qp N"), code, q.Queued(t), string(seen)
			}
			wo, we, wc, wq, ws := get(theirs)
			go_, ge, gc, gq, gs := get(ours)
			if go_ != wo || ge != we || gc != wc || strings.Join(gq, "\n") != strings.Join(wq, "\n") || gs != ws {
				t.Errorf("dot-forward %q (%s):\n ours:     exit %d %q %q %q %q\n Debian's: exit %d %q %q %q %q", args, why, gc, go_, ge, gq, gs, wc, wo, we, wq, ws)
			}
		}
	}
}
