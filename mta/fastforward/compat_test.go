package fastforward

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// Debian's fastforward (1:0.51) is built with its qmail home at
// /var/lib/qmail and reads /etc/aliases, with no way to point it
// elsewhere. The differential tests run it, and ours, in a mount
// namespace of their own where a fresh directory is bound on /etc and
// another on /var/lib/qmail: the machine's own files are never touched.
const debianHome = "/var/lib/qmail"

// world is one run's /etc and qmail home.
type world struct {
	etc, home string
}

func newWorld(t *testing.T, me string, controls map[string]string) world {
	t.Helper()
	w := world{etc: t.TempDir(), home: t.TempDir()}
	files := map[string]string{}
	if me != "" {
		files["control/me"] = me + "\n"
	}
	for k, v := range controls {
		files["control/"+k] = v
	}
	testbin.WriteFiles(t, w.home, files)
	return w
}

// isolated runs argv with w's /etc and qmail home bound in place.
func isolated(t *testing.T, w world, env []string, stdin string, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	unshare := testbin.Peer(t, "unshare")
	if _, err := os.Stat(debianHome); err != nil {
		t.Skipf("%s missing: %v", debianHome, err)
	}
	script := `mount --bind "$0" /etc && mount --bind "$1" ` + debianHome + ` && shift && exec "$@"`
	args := append([]string{"-m", "sh", "-c", script, w.etc, w.home}, argv...)
	cmd := exec.Command(unshare, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "QMAILHOME=" + w.home}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Dir = w.etc
	stdout, stderr, code = testbin.Run(t, cmd)
	if strings.Contains(stderr, "unshare failed") || strings.Contains(stderr, "mount: ") {
		if os.Getenv("QUAIL_REQUIRE_PEERS") == "1" {
			t.Fatalf("cannot make a mount namespace: %s", stderr)
		}
		t.Skipf("cannot make a mount namespace: %s", stderr)
	}
	return stdout, stderr, code
}

type run struct {
	stdout, stderr string
	code           int
	files          map[string]string
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			out[e.Name()] = string(b)
		}
	}
	return out
}

var aliasCases = []struct {
	why, aliases string
	controls     map[string]string
}{
	{why: "the man page's examples", aliases: "root: alice, bill\npostmaster@heaven.af.mil: bob@heaven.af.mil\nroot@heaven.af.mil: postmaster@heaven.af.mil\n" +
		"root: bob (Bob, the postmaster)\njoe: Joe Shmoe <shmoe@heaven.af.mil>\nfred: \"spaced out mailbox\"@heaven.af.mil\n" +
		"hostmaster:\n   fred,\n   joe\nweather: \"|weather-server\"\n"},
	{why: "continuations, blank lines inside them, comments continued", aliases: "# a comment\n  continued\nlist:\n\n a,\n\tb\n# c\nx: y\n"},
	{why: "owner- lists, include files, programs", aliases: "big: :include: /etc/staff, |prog, owner-big\nowner-big: fred\nsmall: :include:small-list\nOwner-Small: boss@Example.COM\n"},
	{why: "qualifying: plus, defaulthost, defaultdomain", aliases: "a: b+, c@d, e@f+, g@, h\n@virt.dom: joe\nbilling@virt.dom: joe, fred\n",
		controls: map[string]string{"defaulthost": "host\n", "defaultdomain": "dom.ain\n", "plusdomain": "plus.dom\n"}},
	{why: "targets without a colon, several instructions for one", aliases: "a b c\na: d\n"},
	{why: "comments and literals inside addresses", aliases: "a: <x(comment)@[1.2.3.4]>, \"q\\\"uote\"@h, b\\c\n"},
	{why: "a last line without its newline is not read", aliases: "a: b\nc: d"},
	{why: "upper case targets are lowered, commands are not", aliases: "MiXeD@HoSt.Dom: Somebody@Else.Dom\n"},
	{why: "a target alone is a parse error", aliases: "a: b\nlonely\n"},
	{why: "unbalanced quote", aliases: "a: \"b\n"},
	{why: "a > without its <", aliases: "a: b>\n"},
	{why: "a stray )", aliases: "a: b)\n"},
	{why: "file deliveries are refused", aliases: "a: /var/mail/a\n"},
	{why: "an empty address", aliases: "a: <>\n"},
	{why: "an empty include", aliases: "a: :include:\n"},
	{why: "NUL in an address", aliases: "a: b\x00c\n"},
	{why: "NUL in a program", aliases: "a: \"|b\x00c\"\n"},
	{why: "an address over 800 bytes", aliases: "a: " + strings.Repeat("x", 800) + "@h.dom\n"},
	{why: "an address of 800 bytes", aliases: "a: " + strings.Repeat("x", 794) + "@h.dom\n"},
	{why: "an empty file", aliases: ""},
	{why: "only comments", aliases: "# nothing\n#\n"},
	{why: "a line of semicolons and colons", aliases: "a:: b; c\n"},
	{why: "a group syntax", aliases: "a: group: b, c;\n"},
	{why: "bytes above 126", aliases: "a: \xe9t\xe9@h.dom\n"},
}

func TestNewaliasesMatchesDebian(t *testing.T) {
	theirs := testbin.Peer(t, "qmail-newaliases")
	ours := testbin.Path(t, "newaliases")
	for _, c := range aliasCases {
		get := func(prog string) run {
			w := newWorld(t, "me.example", c.controls)
			testbin.WriteFiles(t, w.etc, map[string]string{"aliases": c.aliases})
			var r run
			r.stdout, r.stderr, r.code = isolated(t, w, nil, "", prog)
			r.files = snapshot(t, w.etc)
			// The original leaves its partial aliases.tmp behind after
			// a failure; ours removes it.
			delete(r.files, "aliases.tmp")
			return r
		}
		want, got := get(theirs), get(ours)
		if got.code != want.code || got.stdout != want.stdout || strings.ReplaceAll(got.stderr, "newaliases", "X") != strings.ReplaceAll(want.stderr, "newaliases", "X") {
			t.Errorf("%s:\n ours:     exit %d %q %q\n Debian's: exit %d %q %q", c.why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
		if got.files["aliases.cdb"] != want.files["aliases.cdb"] {
			t.Errorf("%s: aliases.cdb differs: %s", c.why, cdbDiff(got.files["aliases.cdb"], want.files["aliases.cdb"]))
		}
	}
}

// cdbDiff shows where two databases part: their records (past the
// 2048-byte header), or their first differing byte.
func cdbDiff(ours, theirs string) string {
	records := func(s string) string {
		if len(s) < 2048 {
			return fmt.Sprintf("%q", s)
		}
		end := int(binary.LittleEndian.Uint32([]byte(s[:4])))
		if end > len(s) || end < 2048 {
			end = len(s)
		}
		return fmt.Sprintf("%q", s[2048:end])
	}
	i := 0
	for i < len(ours) && i < len(theirs) && ours[i] == theirs[i] {
		i++
	}
	return fmt.Sprintf("first difference at byte %d (sizes %d, %d)\n ours:     %s\n Debian's: %s", i, len(ours), len(theirs), records(ours), records(theirs))
}

// sideBySide runs Debian's prog and ours in fresh directories made by
// setup, with stdin, and compares exit codes, output and the files left
// in the directory (but those named in ignore).
func sideBySide(t *testing.T, prog, why string, args []string, stdin string, setup func(dir string), ignore ...string) {
	t.Helper()
	theirs, ours := testbin.Peer(t, prog), testbin.Path(t, prog)
	get := func(bin string) run {
		dir := t.TempDir()
		if setup != nil {
			setup(dir)
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		// A file, not a pipe: reads then come in the same pieces.
		in := filepath.Join(t.TempDir(), "stdin")
		testbin.Must(t, os.WriteFile(in, []byte(stdin), 0o644))
		f, err := os.Open(in)
		testbin.Must(t, err)
		defer f.Close()
		cmd.Stdin = f
		var r run
		r.stdout, r.stderr, r.code = testbin.Run(t, cmd)
		r.files = snapshot(t, dir)
		for _, n := range ignore {
			delete(r.files, n)
		}
		return r
	}
	want, got := get(theirs), get(ours)
	if got.code != want.code || got.stdout != want.stdout || got.stderr != want.stderr {
		t.Errorf("%s %q (%s):\n ours:     exit %d %q %q\n Debian's: exit %d %q %q", prog, args, why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
	}
	for name, w := range want.files {
		if g, ok := got.files[name]; !ok {
			t.Errorf("%s (%s): ours made no %s", prog, why, name)
		} else if g != w {
			t.Errorf("%s (%s): %s differs: %s", prog, why, name, cdbDiff(g, w))
		}
	}
	for name := range got.files {
		if _, ok := want.files[name]; !ok {
			t.Errorf("%s (%s): ours left %s, Debian's did not", prog, why, name)
		}
	}
}

var forwardCases = []struct{ why, text string }{
	{"the man page's examples", "root@yp.to: god@heaven.af.mil, staff@af.mil;\nboss@yp.to: &god@heaven.af.mil;\nsos@heaven.af.mil: ?owner-sos@heaven.af.mil;\nsos@heaven.af.mil: /etc/lists/sos.bin;\ndew@: |dew-monitor;\n" +
		"everybody@yp.to: programmers@yp.to, testers@yp.to;\nprogrammers@yp.to: joe@yp.to, bob@yp.to;\ntesters@yp.to: joe@yp.to, fred@yp.to;\n"},
	{"comments, blanks, backslashes, upper case", "# comment\nA\\ b@X: c\\,d@e, !prog\\;arg ; # trailing\n\t@Host.Dom:\n x@y,\n\n z@w;"},
	{"empty commands and targets", ":;x:,,;y: ?;"},
	{"a target with nothing", "x: ;"},
	{"a missing semicolon", "x: y"},
	{"a target never finished", "x"},
	{"double colon", "x: y: z;"},
	{"a comma before the colon", "x, y: z;"},
	{"a NUL byte", "x: y\x00;"},
	{"a backslash at the end", "x: y;\\"},
	{"an address over 800 bytes", "x: " + strings.Repeat("a", 801) + ";"},
	{"an address of 800 bytes", "x: " + strings.Repeat("a", 800) + ";"},
	{"a long program is no address", "x: |" + strings.Repeat("a", 900) + ";"},
	{"bytes above 127 and control bytes", "x\x01: \xe9\x7f;"},
	{"empty input", ""},
}

func TestSetforwardMatchesDebian(t *testing.T) {
	for _, c := range forwardCases {
		sideBySide(t, "setforward", c.why, []string{"data.cdb", "data.tmp"}, c.text, nil, "data.tmp")
	}
	sideBySide(t, "setforward", "no arguments", nil, "", nil)
	sideBySide(t, "setforward", "one argument", []string{"data.cdb"}, "", nil)
	sideBySide(t, "setforward", "tmp cannot be made", []string{"data.cdb", "no/data.tmp"}, "x: y;", nil)
	sideBySide(t, "setforward", "cdb cannot be replaced", []string{"d", "data.tmp"}, "x: y;", func(dir string) {
		os.MkdirAll(filepath.Join(dir, "d", "x"), 0o755)
	}, "data.tmp")
}

// TestPrintforwardMatchesDebian prints databases made by Debian's
// setforward and newaliases, and broken ones.
func TestPrintforwardMatchesDebian(t *testing.T) {
	setforward := testbin.Peer(t, "setforward")
	for _, c := range forwardCases {
		dir := t.TempDir()
		cmd := exec.Command(setforward, "data.cdb", "data.tmp")
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(c.text)
		if _, _, code := testbin.Run(t, cmd); code != 0 {
			continue
		}
		db, err := os.ReadFile(filepath.Join(dir, "data.cdb"))
		testbin.Must(t, err)
		sideBySide(t, "printforward", c.why, nil, string(db), nil)
		// Cut short at every few bytes: bad database format.
		for n := 0; n < len(db); n += 1 + len(db)/7 {
			sideBySide(t, "printforward", fmt.Sprintf("%s, cut at %d", c.why, n), nil, string(db[:n]), nil)
		}
	}
	var big strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&big, "target%d@host.dom: a%d@b.c, |prog %d, ./list%d.bin;\n", i, i, i, i)
	}
	dir := t.TempDir()
	cmd := exec.Command(setforward, "data.cdb", "data.tmp")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(big.String())
	testbin.Run(t, cmd)
	db, _ := os.ReadFile(filepath.Join(dir, "data.cdb"))
	sideBySide(t, "printforward", "many records", nil, string(db), nil)
	// Past the first kilobytes of output, then broken: what was
	// printed in whole buffers before is kept.
	broken := append([]byte{}, db...)
	end := binary.LittleEndian.Uint32(broken[:4])
	binary.LittleEndian.PutUint32(broken[end-8:], 1<<30)
	sideBySide(t, "printforward", "a record that lies about its length", nil, string(broken), nil)
	bad := []byte(strings.Repeat("\x00", 2048))
	binary.LittleEndian.PutUint32(bad, 2048+8+2+2)
	sideBySide(t, "printforward", "a key of an unknown kind", nil, string(append(bad, "\x02\x00\x00\x00\x02\x00\x00\x00xyab"...)), nil)
	sideBySide(t, "printforward", "a command of an unknown kind", nil, string(append(bad, "\x02\x00\x00\x00\x02\x00\x00\x00:yb\x00"...)), nil)
	sideBySide(t, "printforward", "commands not ended by NUL", nil, string(append(bad, "\x02\x00\x00\x00\x02\x00\x00\x00:y&b"...)), nil)
}

var maillistCases = []struct{ why, text string }{
	{"the man page's example", "god@heaven.af.mil\ndjb@silverton.berkeley.edu\n"},
	{"lists, owners, comments, blanks, trailing blanks", "# c\n\n./sub.bin\n/etc/x.bin \t \n&a@b\n  leading@space\nnoat\n"},
	{"no newline at the end", "a@b"},
	{"a NUL", "a@b\x00c\n"},
	{"an address over 800 bytes", strings.Repeat("a", 801) + "\n"},
	{"an address of 800 bytes", strings.Repeat("a", 800) + "\n"},
	{"a long list name", "/" + strings.Repeat("a", 900) + "\n"},
	{"empty", ""},
}

func TestSetmaillistMatchesDebian(t *testing.T) {
	for _, c := range maillistCases {
		sideBySide(t, "setmaillist", c.why, []string{"l.bin", "l.tmp"}, c.text, nil, "l.tmp")
	}
	sideBySide(t, "setmaillist", "no arguments", nil, "", nil)
	sideBySide(t, "setmaillist", "tmp cannot be made", []string{"l.bin", "no/l.tmp"}, "a@b\n", nil)
}

func TestPrintmaillistMatchesDebian(t *testing.T) {
	for _, c := range []struct{ why, bin string }{
		{"entries of each kind", "&a@b\x00./x.bin\x00/y.bin\x00"},
		{"empty", ""},
		{"not ended by NUL", "&a@b\x00&c"},
		{"an empty entry", "&a@b\x00\x00"},
		{"an entry of an unknown kind", "a@b\x00"},
		{"a newline inside", "&a\nb\x00"},
		{"trailing blanks", "&a@b \x00&c\t\x00"},
		{"899 bytes with its NUL", "&" + strings.Repeat("a", 898) + "\x00"},
		{"900 bytes with its NUL", "&" + strings.Repeat("a", 899) + "\x00"},
		{"output in several buffers, then broken", strings.Repeat("&abcdefghijklmnopqrstuvwxyz@example.com\x00", 40) + "x\x00"},
	} {
		sideBySide(t, "printmaillist", c.why, nil, c.bin, nil)
	}
}

func TestNewincludeMatchesDebian(t *testing.T) {
	for _, c := range []struct{ why, list string }{
		{"addresses, comments, qualifying", "# staff\nalice, bob@Example.COM (Bob)\nCarol <carol@x.y>\nplus+\n:include: other\n:include:/abs/list\n"},
		{"an empty line ends the list", "a@b.c\n\nd@e.f\n"},
		{"no newline at the end", "a@b.c"},
		{"programs are refused", "|prog\n"},
		{"files are refused", "/var/mail/x\n"},
		{"parse error", "a, \"b\n"},
		{"empty include", ":include:\n"},
		{"an address too long", strings.Repeat("x", 801) + "@b.c\n"},
		{"a blank at the end of an address", "\"a \"@b.c\n"},
		{"empty addresses are skipped", "<>, a@b.c\n"},
	} {
		w := newWorld(t, "me.example", map[string]string{"plusdomain": "plus.example\n"})
		get := func(prog string) run {
			dir := t.TempDir()
			testbin.WriteFiles(t, dir, map[string]string{"list": c.list})
			var r run
			r.stdout, r.stderr, r.code = isolated(t, world{etc: w.etc, home: w.home}, nil, "", "sh", "-c", `cd "$0" && exec "$1" list`, dir, prog)
			r.files = snapshot(t, dir)
			delete(r.files, "list.tmp")
			return r
		}
		want, got := get(testbin.Peer(t, "newinclude")), get(testbin.Path(t, "newinclude"))
		if got.code != want.code || got.stdout != want.stdout || got.stderr != want.stderr || got.files["list.bin"] != want.files["list.bin"] {
			t.Errorf("newinclude (%s):\n ours:     exit %d %q %q %q\n Debian's: exit %d %q %q %q", c.why, got.code, got.stdout, got.stderr, got.files["list.bin"], want.code, want.stdout, want.stderr, want.files["list.bin"])
		}
	}
}
