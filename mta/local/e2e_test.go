package local_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// rig is a home directory, a qmail home whose qmail-queue is a capture
// script, and a message file.
type rig struct {
	t       *testing.T
	home    string
	qhome   string
	capture string
	msg     string
}

const message = "Subject: test\nFrom: a@b\n\nFrom the start\nbody line\n"

func newRig(t *testing.T) *rig {
	t.Helper()
	base := t.TempDir()
	r := &rig{t: t, home: filepath.Join(base, "home"), qhome: filepath.Join(base, "qmail"), capture: filepath.Join(base, "qq")}
	for _, d := range []string{r.home, filepath.Join(r.qhome, "bin"), r.capture} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// qmail-queue stand-in: the message and the envelope as received.
	qq := "#!/bin/sh\ncat > " + r.capture + "/msg || exit 54\ncat <&1 > " + r.capture + "/env || exit 54\nexit ${QQEXIT:-0}\n"
	if err := os.WriteFile(filepath.Join(r.capture, "qmail-queue"), []byte(qq), 0o755); err != nil {
		t.Fatal(err)
	}
	r.setMessage(message)
	return r
}

func (r *rig) setMessage(m string) {
	r.msg = filepath.Join(filepath.Dir(r.home), "message")
	if err := os.WriteFile(r.msg, []byte(m), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) file(name, content string, mode os.FileMode) {
	r.t.Helper()
	p := filepath.Join(r.home, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) maildir(name string) string {
	r.t.Helper()
	d := filepath.Join(r.home, name)
	for _, s := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(d, s), 0o700); err != nil {
			r.t.Fatal(err)
		}
	}
	return d
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs qmail-local with the eight arguments for local@example.com.
func (r *rig) run(extraEnv []string, opts ...string) result {
	r.t.Helper()
	return r.runArgs(extraEnv, append(opts, "joe", r.home, "joe-"+"x", "-", "x", "example.com", "sender@example.org", "./Mailbox")...)
}

func (r *rig) runArgs(extraEnv []string, args ...string) result {
	r.t.Helper()
	cmd := exec.Command(testbin.Path(r.t, "qmail-local"), args...)
	in, err := os.Open(r.msg)
	if err != nil {
		r.t.Fatal(err)
	}
	defer in.Close()
	cmd.Stdin = in
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "QMAILHOME=" + r.qhome, "QMAILQUEUE=" + r.capture + "/qmail-queue"}, extraEnv...)
	out, errb, code := testbin.Run(r.t, cmd)
	return result{code, out, errb}
}

func readOne(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("%s: %d entries, %v; want 1", dir, len(ents), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	return string(b)
}

func TestAllFourKinds(t *testing.T) {
	r := newRig(t)
	md := r.maildir("Maildir")
	r.file(".qmail-x", "# all four\n|cat > prog.msg; env > prog.env\n&fwd@example.net\nother@example.net\n./Maildir/\n./mbox\n", 0o600)
	res := r.run(nil)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if !regexp.MustCompile(`^did 2\+2\+1\nqp [1-9][0-9]*\n$`).MatchString(res.stdout) {
		t.Errorf("report %q, want did 2+2+1 and qp", res.stdout)
	}
	dt := "Delivered-To: joe-x@example.com\n"
	rp := "Return-Path: <sender@example.org>\n"
	if got := readOne(t, filepath.Join(md, "new")); got != rp+dt+message {
		t.Errorf("maildir message %q", got)
	}
	mb, _ := os.ReadFile(filepath.Join(r.home, "mbox"))
	wantMbox := regexp.MustCompile(`^From sender@example\.org [A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \d{4}\n` +
		regexp.QuoteMeta(rp+dt+"Subject: test\nFrom: a@b\n\n>From the start\nbody line\n\n") + `$`)
	if !wantMbox.Match(mb) {
		t.Errorf("mbox %q", mb)
	}
	prog, _ := os.ReadFile(filepath.Join(r.home, "prog.msg"))
	if string(prog) != message {
		t.Errorf("program got %q; qmail-command(8): no Return-Path or Delivered-To added", prog)
	}
	env, _ := os.ReadFile(filepath.Join(r.home, "prog.env"))
	for _, kv := range []string{"SENDER=sender@example.org", "NEWSENDER=sender@example.org",
		"RECIPIENT=joe-x@example.com", "USER=joe", "HOME=" + r.home, "HOST=example.com",
		"HOST2=example", "HOST3=example", "HOST4=example", "LOCAL=joe-x", "EXT=x", "EXT2=", "EXT3=", "EXT4="} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(kv) + `$`).Match(env) {
			t.Errorf("program environment lacks %s", kv)
		}
	}
	if !bytes.Contains(env, []byte("DTLINE="+dt)) || !bytes.Contains(env, []byte("RPLINE="+rp)) ||
		!regexp.MustCompile(`(?m)^UFLINE=From sender@example\.org `).Match(env) {
		t.Errorf("DTLINE, RPLINE or UFLINE missing in %q", env)
	}
	if regexp.MustCompile(`(?m)^DEFAULT=`).Match(env) {
		t.Error("DEFAULT set without a -default file")
	}
	fm, _ := os.ReadFile(filepath.Join(r.capture, "msg"))
	fe, _ := os.ReadFile(filepath.Join(r.capture, "env"))
	if string(fm) != dt+message {
		t.Errorf("forwarded message %q; want Delivered-To and no Return-Path", fm)
	}
	if string(fe) != "Fsender@example.org\x00Tfwd@example.net\x00Tother@example.net\x00\x00" {
		t.Errorf("forwarded envelope %q", fe)
	}
}

func TestProgramExitCodes(t *testing.T) {
	tests := []struct {
		exit, want int
		why        string
	}{
		{0, 0, "success"},
		{99, 0, "success, rest skipped"},
		{100, 100, "permanent"},
		{111, 111, "temporary"},
		{64, 100, "EX_USAGE is hard"},
		{65, 100, "EX_DATAERR is hard"},
		{70, 100, "EX_SOFTWARE is hard"},
		{76, 100, "EX_PROTOCOL is hard"},
		{77, 100, "EX_NOPERM is hard"},
		{78, 100, "EX_CONFIG is hard"},
		{112, 100, "112 is hard"},
		{1, 111, "anything else is soft"},
		{75, 111, "EX_TEMPFAIL is soft"},
		{101, 111, "101 is soft"},
	}
	for _, tt := range tests {
		r := newRig(t)
		md := r.maildir("Maildir")
		r.file(".qmail-x", "|echo program says $EXT; exit "+itoa(tt.exit)+"\n./Maildir/\n&fwd@example.net\n", 0o600)
		res := r.run(nil)
		if res.code != tt.want {
			t.Errorf("%s: exit %d gave %d, want %d", tt.why, tt.exit, res.code, tt.want)
		}
		if !strings.Contains(res.stdout, "program says x\n") {
			t.Errorf("%s: the program's output %q is not in the report", tt.why, res.stdout)
		}
		ents, _ := os.ReadDir(filepath.Join(md, "new"))
		delivered := len(ents) == 1
		if delivered != (tt.exit == 0) {
			t.Errorf("%s: maildir line after the program delivered=%v", tt.why, delivered)
		}
		_, err := os.Stat(filepath.Join(r.capture, "msg"))
		if forwarded := err == nil; forwarded != (tt.exit == 0) {
			t.Errorf("%s: forwarded=%v", tt.why, forwarded)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestExit99KeepsEarlierForwards(t *testing.T) {
	r := newRig(t)
	r.maildir("Maildir")
	r.file(".qmail-x", "&early@example.net\n|exit 99\n&late@example.net\n./Maildir/\n", 0o600)
	res := r.run(nil)
	if res.code != 0 || res.stdout[:len("did 0+1+1\n")] != "did 0+1+1\n" {
		t.Fatalf("exit %d, report %q", res.code, res.stdout)
	}
	fe, _ := os.ReadFile(filepath.Join(r.capture, "env"))
	if string(fe) != "Fsender@example.org\x00Tearly@example.net\x00\x00" {
		t.Errorf("envelope %q", fe)
	}
}

func TestLoopDetection(t *testing.T) {
	r := newRig(t)
	r.maildir("Maildir")
	r.file(".qmail-x", "./Maildir/\n", 0o600)
	r.setMessage("Received: x\nDelivered-To: joe-x@example.com\nSubject: loop\n\nbody\n")
	res := r.run(nil)
	if res.code != 100 || res.stderr != "This message is looping: it already has my Delivered-To line. (#5.4.6)\n" {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
	r.setMessage("Subject: no loop\n\nDelivered-To: joe-x@example.com\n")
	if res := r.run(nil); res.code != 0 {
		t.Errorf("Delivered-To in the body: exit %d %q", res.code, res.stderr)
	}
	r.setMessage("Delivered-To: joe-x@example.com\n\n")
	if res := r.run(nil, "-n"); res.code != 0 {
		t.Errorf("-n does not check for loops: exit %d %q", res.code, res.stderr)
	}
}

func TestDefaultFiles(t *testing.T) {
	tests := []struct {
		why, ext, file, wantDefault string
	}{
		{"a-default catches a-anything", "foo-bar", ".qmail-foo-default", "bar"},
		{"default catches everything", "foo-bar", ".qmail-default", "foo-bar"},
		{"exact name first", "foo-bar", ".qmail-foo-bar", ""},
		{"lowercase and colon", "Foo.Bar", ".qmail-foo:bar", ""},
	}
	for _, tt := range tests {
		r := newRig(t)
		r.file(tt.file, "|echo \"DEFAULT=${DEFAULT-unset}\"\n", 0o600)
		res := r.runArgs(nil, "joe", r.home, "joe-"+tt.ext, "-", tt.ext, "example.com", "s@x", "./Mailbox")
		want := "DEFAULT=" + tt.wantDefault
		if tt.wantDefault == "" {
			want = "DEFAULT=unset"
		}
		if res.code != 0 || !strings.HasPrefix(res.stdout, want+"\n") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %s", tt.why, res.code, res.stdout, res.stderr, want)
		}
	}
	r := newRig(t)
	r.file(".qmail-other", "./Maildir/\n", 0o600)
	res := r.runArgs(nil, "joe", r.home, "joe-foo", "-", "foo", "example.com", "s@x", "./Mailbox")
	if res.code != 100 || res.stderr != "Sorry, no mailbox here by that name. (#5.1.1)\n" {
		t.Errorf("no matching file: exit %d %q", res.code, res.stderr)
	}
}

func TestDefaultDelivery(t *testing.T) {
	r := newRig(t)
	md := r.maildir("Maildir")
	res := r.runArgs(nil, "joe", r.home, "joe", "", "", "example.com", "s@x", "./Maildir/")
	if res.code != 0 || res.stdout != "did 1+0+0\n" {
		t.Fatalf("no .qmail: exit %d %q %q", res.code, res.stdout, res.stderr)
	}
	readOne(t, filepath.Join(md, "new"))
	// An empty .qmail means the default delivery too.
	r.file(".qmail", "", 0o600)
	res = r.runArgs(nil, "joe", r.home, "joe", "", "", "example.com", "s@x", "./Mailbox")
	if res.code != 0 {
		t.Fatalf("empty .qmail: exit %d %q", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.home, "Mailbox")); err != nil {
		t.Error("empty .qmail did not follow the default delivery ./Mailbox")
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		why    string
		setup  func(r *rig)
		env    []string
		code   int
		stderr string
	}{
		{"group-writable .qmail", func(r *rig) { r.file(".qmail-x", "./Maildir/\n", 0o620) },
			nil, 111, "Uh-oh: .qmail file is writable. (#4.7.0)\n"},
		{"world-writable .qmail", func(r *rig) { r.file(".qmail-x", "./Maildir/\n", 0o602) },
			nil, 111, "Uh-oh: .qmail file is writable. (#4.7.0)\n"},
		{"sticky home: being edited", func(r *rig) { r.file(".qmail-x", "./Maildir/\n", 0o600); os.Chmod(r.home, 0o755|os.ModeSticky) },
			nil, 111, "Home directory is sticky: user is editing his .qmail file. (#4.2.1)\n"},
		{"writable home", func(r *rig) { r.file(".qmail-x", "./Maildir/\n", 0o600); os.Chmod(r.home, 0o775) },
			nil, 111, "Uh-oh: home directory is writable. (#4.7.0)\n"},
		{"blank first line", func(r *rig) { r.file(".qmail-x", "\n./Maildir/\n", 0o600) },
			nil, 111, "Uh-oh: first line of .qmail file is blank. (#4.2.1)\n"},
		{"x bit: forward only", func(r *rig) { r.file(".qmail-x", "&a@b\n./Maildir/\n", 0o700) },
			nil, 111, "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)\n"},
		{"+list: forward only", func(r *rig) { r.file(".qmail-x", "+list\n|true\n", 0o600) },
			nil, 111, "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)\n"},
		{"not a maildir", func(r *rig) { r.file(".qmail-x", "./nomaildir/\n", 0o600) },
			nil, 111, "Unable to chdir to maildir. (#4.2.1)\n"},
		{"mbox in a missing directory", func(r *rig) { r.file(".qmail-x", "./no/mbox\n", 0o600) },
			nil, 111, "Unable to open ./no/mbox: file does not exist. (#4.2.1)\n"},
		{"forward refused permanently by qmail-queue", func(r *rig) { r.file(".qmail-x", "&a@b\n", 0o600) },
			[]string{"QQEXIT=31"}, 100, "Unable to forward message: mail server permanently rejected message (#5.3.0).\n"},
		{"forward refused temporarily by qmail-queue", func(r *rig) { r.file(".qmail-x", "&a@b\n", 0o600) },
			[]string{"QQEXIT=53"}, 111, "Unable to forward message: qq write error or disk full (#4.3.0).\n"},
	}
	for _, tt := range tests {
		r := newRig(t)
		r.maildir("Maildir")
		tt.setup(r)
		res := r.run(tt.env)
		if res.code != tt.code || res.stderr != tt.stderr {
			t.Errorf("%s: exit %d stderr %q; want %d %q", tt.why, res.code, res.stderr, tt.code, tt.stderr)
		}
	}
}

func TestOwnerSender(t *testing.T) {
	r := newRig(t)
	r.file(".qmail-x", "&list@example.net\n", 0o600)
	r.file(".qmail-x-owner", "&me@example.net\n", 0o600)
	if res := r.run(nil); res.code != 0 {
		t.Fatalf("exit %d %q", res.code, res.stderr)
	}
	fe, _ := os.ReadFile(filepath.Join(r.capture, "env"))
	if !strings.HasPrefix(string(fe), "Fjoe-x-owner@example.com\x00") {
		t.Errorf("with -owner: envelope %q", fe)
	}
	r.file(".qmail-x-owner-default", "&me@example.net\n", 0o600)
	r.run(nil)
	fe, _ = os.ReadFile(filepath.Join(r.capture, "env"))
	if !strings.HasPrefix(string(fe), "Fjoe-x-owner-@example.com-@[]\x00") {
		t.Errorf("VERP: envelope %q", fe)
	}
	res := r.runArgs(nil, "joe", r.home, "joe-x", "-", "x", "example.com", "", "./Mailbox")
	fe, _ = os.ReadFile(filepath.Join(r.capture, "env"))
	if res.code != 0 || !strings.HasPrefix(string(fe), "F\x00") {
		t.Errorf("bounces keep the null sender: %q", fe)
	}
}

func TestShowInstructions(t *testing.T) {
	r := newRig(t)
	r.file(".qmail-x", "# c\n|prog arg\n&a@b\nc@d\n./Maildir/\n./mbox\n", 0o600)
	os.Chmod(r.home, 0o755|os.ModeSticky)
	res := r.run(nil, "-n")
	want := "program prog arg\nforward a@b\nforward c@d\nmaildir ./Maildir/\nmbox ./mbox\ndid 2+2+1\n"
	if res.code != 0 || res.stdout != want || res.stderr != "Warning: home directory is sticky.\n" {
		t.Errorf("-n: exit %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.home, "mbox")); err == nil {
		t.Error("-n delivered")
	}
}

func TestUsage(t *testing.T) {
	r := newRig(t)
	for _, args := range [][]string{{}, {"joe", "relative", "joe", "", "", "h", "s", "./Mailbox"}, {"-z"}} {
		res := r.runArgs(nil, args...)
		if res.code != 100 || !strings.HasPrefix(res.stderr, "qmail-local: usage: qmail-local ") {
			t.Errorf("%q: exit %d %q", args, res.code, res.stderr)
		}
	}
}

func TestHostAndExtParts(t *testing.T) {
	r := newRig(t)
	r.file(".qmail-a-b-c-d", "|echo \"$EXT|$EXT2|$EXT3|$EXT4|$HOST|$HOST2|$HOST3|$HOST4|$LOCAL\"\n", 0o600)
	// "--" ends the options, as qmail-lspawn passes it.
	res := r.runArgs(nil, "--", "joe", r.home, "joe-a-b-c-d", "-", "a-b-c-d", "mx.mail.example.com", "s@x", "./Mailbox")
	want := "a-b-c-d|b-c-d|c-d|d|mx.mail.example.com|mx.mail.example|mx.mail|mx|joe-a-b-c-d\n"
	if res.code != 0 || !strings.HasPrefix(res.stdout, want) {
		t.Errorf("exit %d stdout %q stderr %q; want %q", res.code, res.stdout, res.stderr, want)
	}
}
