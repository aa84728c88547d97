package fastforward

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// The instructions every delivery case reads, compiled by Debian's
// setforward so that both programs read the same bytes.
const deliveryTable = `
# plain aliases, a chain and a loop
root@host.dom: alice@host.dom, bob@other.dom;
alice@host.dom: alice-real@mail.dom;
loop1@host.dom: loop2@host.dom;
loop2@host.dom: loop1@host.dom, end@dom.ain;
self@host.dom: self@host.dom, other@dom.ain;
# wildcards
@wild.dom: catch@all.dom;
user@: anyhost@user.dom;
# a list with an owner, used directly and through an alias
list@host.dom: ./members.bin, ?owner-list@host.dom;
alias-of-list@host.dom: list@host.dom, x@y.z;
owner-list@host.dom: listboss@host.dom;
# include files: missing, unreadable, nested
missing@host.dom: ./nothere.bin;
private@host.dom: ./private.bin;
nested@host.dom: ./outer.bin;
# programs
prog@host.dom: |echo\ to\ stdout\;\ echo\ to\ stderr\ >&2, after@prog.dom;
preline@host.dom: !cat\ >\ seen;
perm@host.dom: |exit\ 100;
temp@host.dom: |exit\ 75;
usage@host.dom: |exit\ 64;
nothing@host.dom: |true;
# odd bytes shown safely
odd@host.dom: bad\ name@x.y;
`

func deliveryFixture(t *testing.T, dir string) {
	t.Helper()
	set := testbin.Peer(t, "setforward")
	setlist := testbin.Peer(t, "setmaillist")
	cmd := exec.Command(set, "aliases.cdb", "aliases.tmp")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(deliveryTable)
	if _, e, code := testbin.Run(t, cmd); code != 0 {
		t.Fatalf("setforward: %s", e)
	}
	for name, text := range map[string]string{
		"members": "m1@host.dom\nm2@other.dom\nalice@host.dom\n",
		"private": "secret@host.dom\n",
		"outer":   "./inner.bin\nouter@dom.ain\n",
		"inner":   "inner@dom.ain\n./outer.bin\n",
	} {
		cmd := exec.Command(setlist, name+".bin", name+".tmp")
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(text)
		if _, e, code := testbin.Run(t, cmd); code != 0 {
			t.Fatalf("setmaillist: %s", e)
		}
	}
	testbin.Must(t, os.Chmod(filepath.Join(dir, "private.bin"), 0o600))
}

var qpLine = regexp.MustCompile(`qp [0-9]+`)

func TestFastforwardMatchesDebian(t *testing.T) {
	theirs, ours := testbin.Peer(t, "fastforward"), testbin.Path(t, "fastforward")
	preline := testbin.Path(t, "preline")
	type delivery struct {
		stdout, stderr string
		code           int
		queued         []string
		seen           string
	}
	cases := []struct {
		why  string
		args []string
		env  []string
		code int // the queue stand-in's exit code
	}{
		{why: "a chain of aliases", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=root@host.dom", "SENDER=someone@else.dom"}},
		{why: "upper case is found", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=ROOT@Host.Dom", "SENDER=someone@else.dom"}},
		{why: "loops are cut", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=loop1@host.dom", "SENDER=s@d.om"}},
		{why: "an alias of itself", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=self@host.dom", "SENDER=s@d.om"}},
		{why: "@host wildcard", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=anyone@wild.dom", "SENDER=s@d.om"}},
		{why: "user@ wildcard", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=user@wherever.dom", "SENDER=s@d.om"}},
		{why: "a list takes its owner as sender", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=list@host.dom", "SENDER=s@d.om"}},
		{why: "a bounce keeps its empty sender", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=list@host.dom", "SENDER="}},
		{why: "a double bounce keeps #@[]", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=list@host.dom", "SENDER=#@[]"}},
		{why: "a list reached through an alias is forwarded to", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=alias-of-list@host.dom", "SENDER=s@d.om"}},
		{why: "no SENDER", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=root@host.dom"}},
		{why: "-d takes DEFAULT and HOST", args: []string{"-d", "aliases.cdb"}, env: []string{"DEFAULT=root", "HOST=host.dom", "SENDER=s@d.om"}},
		{why: "-d takes EXT without DEFAULT", args: []string{"-d", "aliases.cdb"}, env: []string{"EXT=root", "HOST=host.dom", "SENDER=s@d.om"}},
		{why: "-d without HOST", args: []string{"-d", "aliases.cdb"}, env: []string{"DEFAULT=root"}},
		{why: "-d without DEFAULT or EXT", args: []string{"-d", "aliases.cdb"}, env: []string{"HOST=host.dom"}},
		{why: "no RECIPIENT", args: []string{"aliases.cdb"}},
		{why: "unknown recipient", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=nobody@host.dom"}},
		{why: "unknown recipient with -p", args: []string{"-p", "aliases.cdb"}, env: []string{"RECIPIENT=nobody@host.dom"}},
		{why: "known recipient with -p", args: []string{"-p", "aliases.cdb"}, env: []string{"RECIPIENT=root@host.dom", "SENDER=s@d.om"}},
		{why: "-pP", args: []string{"-pP", "aliases.cdb"}, env: []string{"RECIPIENT=root@host.dom", "SENDER=s@d.om"}},
		{why: "a missing include file", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=missing@host.dom"}},
		{why: "an include file others cannot read", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=private@host.dom"}},
		{why: "nested include files", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=nested@host.dom", "SENDER=s@d.om"}},
		{why: "programs run before forwarding", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=prog@host.dom", "SENDER=s@d.om"}},
		{why: "! runs through preline", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=preline@host.dom", "SENDER=s@d.om", "UFLINE=From s@d.om Thu Jan  1 00:00:00 1970\n", "RPLINE=Return-Path: <s@d.om>\n"}},
		{why: "a program's 100", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=perm@host.dom"}},
		{why: "a program's 75", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=temp@host.dom"}},
		{why: "a program's 64", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=usage@host.dom"}},
		{why: "only a program: no forwarding", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=nothing@host.dom"}},
		{why: "only a program: no forwarding, -p", args: []string{"-p", "aliases.cdb"}, env: []string{"RECIPIENT=nothing@host.dom"}},
		{why: "the queue refuses for good", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=root@host.dom", "SENDER=s@d.om"}, code: 31},
		{why: "the queue refuses for now", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=root@host.dom", "SENDER=s@d.om"}, code: 71},
		{why: "a missing database", args: []string{"nothere.cdb"}, env: []string{"RECIPIENT=root@host.dom"}},
		{why: "no database", env: []string{"RECIPIENT=root@host.dom"}},
		{why: "a bad option", args: []string{"-x", "aliases.cdb"}},
		{why: "odd bytes", args: []string{"aliases.cdb"}, env: []string{"RECIPIENT=odd@host.dom", "SENDER=a\x01b\xe9@c"}},
	}
	for _, c := range cases {
		for _, n := range []bool{true, false} {
			args := c.args
			why := c.why
			if n {
				args = append([]string{"-n"}, args...)
				why += ", -n"
			}
			get := func(prog string) delivery {
				w := newWorld(t, "host.dom", nil)
				q := testbin.StandInQueue(t, filepath.Join(w.home, "bin"))
				if c.code != 0 {
					q.SetCode(t, c.code)
				}
				dir := t.TempDir()
				deliveryFixture(t, dir)
				testbin.WriteFiles(t, dir, map[string]string{"message": "Subject: test\n\nbody\n"})
				env := append([]string{"DTLINE=Delivered-To: x@host.dom\n", "PATH=" + filepath.Dir(preline) + ":/usr/bin:/bin"}, c.env...)
				var d delivery
				d.stdout, d.stderr, d.code = isolated(t, w, env, "", "sh", "-c", `cd "$0" && exec "$@" < message`, dir, prog)
				d.stderr = qpLine.ReplaceAllString(d.stderr, "qp N")
				d.queued = q.Queued(t)
				seen, _ := os.ReadFile(filepath.Join(dir, "seen"))
				d.seen = string(seen)
				return d
			}
			want, got := get(theirs), get(ours)
			if got.code != want.code || got.stdout != want.stdout || got.stderr != want.stderr || strings.Join(got.queued, "\n") != strings.Join(want.queued, "\n") || got.seen != want.seen {
				t.Errorf("fastforward %q (%s):\n ours:     exit %d %q %q %q %q\n Debian's: exit %d %q %q %q %q", args, why,
					got.code, got.stdout, got.stderr, got.queued, got.seen, want.code, want.stdout, want.stderr, want.queued, want.seen)
			}
		}
	}
}

// TestAliasesDecisionsMatchDebian compiles one /etc/aliases with
// Debian's newaliases and with ours, then asks Debian's fastforward and
// ours, with -nd as ALIASES suggests, what mail for each address does:
// the same database bytes and the same decisions.
func TestAliasesDecisionsMatchDebian(t *testing.T) {
	theirsNA, oursNA := testbin.Peer(t, "qmail-newaliases"), testbin.Path(t, "newaliases")
	theirsFF, oursFF := testbin.Peer(t, "fastforward"), testbin.Path(t, "fastforward")
	aliases := "root: postmaster\npostmaster: alice, bob@other.dom\nmailer-daemon: postmaster\n" +
		"staff: :include:staff-list, carol\nowner-staff: alice\nweb: \"|cat > /dev/null\", webmaster@other.dom\n" +
		"@virt.dom: joe\nbilling@virt.dom: joe, fred\nloop: loop2\nloop2: loop, end\n"
	for _, host := range []string{"host.dom", "virt.dom", "Host.Dom"} {
		for _, local := range []string{"root", "postmaster", "MAILER-DAEMON", "staff", "web", "billing", "anyone", "loop", "nobody"} {
			var outs [2]string
			for i, progs := range [][2]string{{theirsNA, theirsFF}, {oursNA, oursFF}} {
				w := newWorld(t, "host.dom", nil)
				testbin.WriteFiles(t, w.etc, map[string]string{"aliases": aliases})
				if _, e, code := isolated(t, w, nil, "", progs[0]); code != 0 {
					t.Fatalf("%s: %s", progs[0], e)
				}
				dir := t.TempDir()
				setlist := exec.Command(testbin.Peer(t, "setmaillist"), "staff-list.bin", "staff-list.tmp")
				setlist.Dir, setlist.Stdin = dir, strings.NewReader("dave@host.dom\nalice@host.dom\n")
				testbin.Run(t, setlist)
				cmd := exec.Command(progs[1], "-nd", filepath.Join(w.etc, "aliases.cdb"))
				cmd.Dir = dir
				cmd.Env = []string{"PATH=/usr/bin:/bin", "DEFAULT=" + local, "HOST=" + host, "SENDER=s@d.om"}
				out, errs, code := testbin.Run(t, cmd)
				outs[i] = fmt.Sprintf("exit %d %q %q", code, out, errs)
			}
			if outs[0] != outs[1] {
				t.Errorf("%s@%s:\n ours:     %s\n Debian's: %s", local, host, outs[1], outs[0])
			}
		}
	}
}
