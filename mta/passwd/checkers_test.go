package passwd

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// runChecker runs a built checker with input on descriptor 3 and a
// subprogram that prints who and where it is.
func runChecker(t *testing.T, prog string, env []string, input string) (int, string, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(t, prog), "/bin/sh", "-c", `echo "$USER|$HOME|$(id -u)|$(pwd)|$SHELL"`)
	cmd.Env = append([]string{"PATH=/bin:/usr/bin"}, env...)
	cmd.ExtraFiles = []*os.File{r}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.WriteString(input)
	w.Close()
	code := testbin.ExitCode(t, cmd.Wait())
	return code, strings.TrimSpace(out.String()), errb.String()
}

// account is the uid the subprogram should end up with: as root, nobody
// (a home it can enter is made for it); otherwise the invoking user.
func account(t *testing.T) (uid, gid int, home string) {
	home = t.TempDir()
	if os.Geteuid() != 0 {
		return os.Getuid(), os.Getgid(), home
	}
	for d := home; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	return 65534, 65534, home
}

func TestCheckpasswordProgram(t *testing.T) {
	dir := t.TempDir()
	uid, gid, home := account(t)
	h6, _ := Crypt([]byte("pw6"), "$6$salt6")
	h1, _ := Crypt([]byte("pw1"), "$1$salt1")
	passwd := writeFile(t, dir, "passwd", fmt.Sprintf(
		"u6:x:%d:%d::%s:/bin/sh\nu1:%s:%d:%d::%s:/bin/false\nlocked:x:%d:%d::%s:/bin/sh\ndes:x:%d:%d::%s:/bin/sh\nroot:x:0:0::/:/bin/sh\nold:x:%d:%d::%s:/bin/sh\n",
		uid, gid, home, h1, uid, gid, home, uid, gid, home, uid, gid, home, uid, gid, home))
	shadow := writeFile(t, dir, "shadow", "u6:"+h6+":19000::::::\nlocked:!"+h6+"::::::\ndes:abJnggxhB/yWI::::::\nroot:"+h6+"::::::\nold:"+h6+":::::::1:\n")
	env := []string{"CHECKPASSWORD_PASSWD=" + passwd, "CHECKPASSWORD_SHADOW=" + shadow}
	want := func(user, shell string) string {
		return fmt.Sprintf("%s|%s|%d|%s|%s", user, home, uid, home, shell)
	}
	cases := []struct {
		input string
		code  int
		out   string
		why   string
	}{
		{"u6\x00pw6\x00<1.2@h>\x00", 0, want("u6", "/bin/sh"), "SHA-512 from the shadow file"},
		{"u1\x00pw1\x00\x00", 0, want("u1", "/bin/false"), "MD5 kept in the passwd file"},
		{"u6\x00pw1\x00<1.2@h>\x00", 1, "", "wrong password"},
		{"nobody\x00pw6\x00\x00", 1, "", "unknown user"},
		{"locked\x00pw6\x00\x00", 1, "", "locked with !"},
		{"des\x00\x00\x00", 1, "", "DES hash refused"},
		{"root\x00pw6\x00\x00", 1, "", "uid 0 refused"},
		{"old\x00pw6\x00\x00", 1, "", "expired account"},
		{"u6", 2, "", "no NUL after the user"},
		{"u6\x00<1.2@h>\x000123456789abcdef0123456789abcdef\x00", 2, "", "a CRAM-MD5 response cannot be checked against a hash"},
		{"u6\x00pw6\x00" + strings.Repeat("<", 600) + "\x00", 1, "", "more than 512 bytes"},
	}
	for _, c := range cases {
		code, out, stderr := runChecker(t, "checkpassword", env, c.input)
		if code != c.code || out != c.out {
			t.Errorf("%s: exit %d, output %q, stderr %q; want %d, %q", c.why, code, out, stderr, c.code, c.out)
		}
	}
	code, _, _ := runChecker(t, "checkpassword", []string{"CHECKPASSWORD_PASSWD=" + passwd, "CHECKPASSWORD_SHADOW=" + filepath.Join(dir, "gone")}, "u6\x00pw6\x00\x00")
	if code != 111 {
		t.Errorf("unreadable shadow file: exit %d, want 111", code)
	}
}

func TestVirtualCheckers(t *testing.T) {
	qhome := t.TempDir()
	os.Mkdir(filepath.Join(qhome, "users"), 0o755)
	uid, gid, home := account(t)
	ids := fmt.Sprintf("%d:%d", uid, gid)
	if os.Geteuid() != 0 {
		ids = ":" // the invoking user
	}
	// The {CRAM-MD5} entry comes from qmail-newvpw -c, as an admin makes it.
	mk := exec.Command(testbin.Path(t, "qmail-newvpw"), "-c")
	mk.Stdin = strings.NewReader("tanstaaftanstaaf\n")
	b, err := mk.Output()
	if err != nil {
		t.Fatalf("qmail-newvpw -c: %v", err)
	}
	cram, err := ParseSecret(strings.TrimSpace(string(b)))
	if err != nil || !bytes.Equal(cram.Cram, CramMD5Secret([]byte("tanstaaftanstaaf")).Cram) {
		t.Fatalf("qmail-newvpw -c printed %q: %v", b, err)
	}
	text := "tim:{PLAIN}tanstaaftanstaaf:" + ids + ":" + home + "\n" +
		"hashed:" + cram.String() + ":" + ids + ":" + home + "\n" +
		"rooted:{PLAIN}x:0:0:" + home + "\n" +
		"crypted:" + mustCrypt(t, "pw", "$6$salt") + ":" + ids + ":" + home + "\n"
	writeFile(t, qhome, VPasswdFile, text)
	env := []string{"QMAILHOME=" + qhome}
	newvpw := exec.Command(testbin.Path(t, "qmail-newvpw"))
	newvpw.Env = env
	if out, err := newvpw.CombinedOutput(); err != nil {
		t.Fatalf("qmail-newvpw: %v: %s", err, out)
	}
	if m, _ := statMode(filepath.Join(qhome, VPasswdCDB)); m != 0o600 {
		t.Errorf("vpasswd.cdb mode %o, want 600 like the text", m)
	}
	want := func(user string) string { return fmt.Sprintf("%s|%s|%d|%s|", user, home, uid, home) }
	self := fmt.Sprintf("%d", os.Geteuid())
	const cramIn = "tim\x00<1896.697170952@postoffice.reston.mci.net>\x00b913a602c7eda7a495b4e6e7334d3890\x00"
	cases := []struct {
		prog, input string
		code        int
		out         string
		why         string
	}{
		{"checkvpw", "TIM\x00tanstaaftanstaaf\x00<1.2@h>\x00", 0, want("tim"), "USER/PASS, name in another case"},
		{"checkvpw", "hashed\x00tanstaaftanstaaf\x00<1.2@h>\x00", 0, want("hashed"), "USER/PASS against CRAM-MD5 states"},
		{"checkvpw", "tim\x00tanstaaf\x00<1.2@h>\x00", 1, "", "wrong password"},
		{"checkvpw", "nobody\x00x\x00\x00", 1, "", "unknown user"},
		{"checkvpw", "rooted\x00x\x00\x00", 1, "", "uid 0 refused"},
		{"checkvpw", cramIn, 0, want("tim"), "CRAM-MD5 triple from qmail-smtpd"},
		{"cmd5checkpw", cramIn, 0, "tim|||" + self + "|", "cmd5checkpw: RFC 2195 example"},
		{"cmd5checkpw", "hashed" + cramIn[3:], 0, "hashed|||" + self + "|", "cmd5checkpw with stored states"},
		{"cmd5checkpw", "tim\x00tanstaaftanstaaf\x00\x00", 0, "tim|||" + self + "|", "cmd5checkpw checks PLAIN and LOGIN's clear password, as the original does"},
		{"cmd5checkpw", "hashed\x00tanstaaftanstaaf\x00\x00", 0, "hashed|||" + self + "|", "cmd5checkpw: clear password against stored states"},
		{"cmd5checkpw", "crypted\x00pw\x00\x00", 0, "crypted|||" + self + "|", "cmd5checkpw: clear password against a crypt hash"},
		{"cmd5checkpw", "tim\x00tanstaaf\x00\x00", 1, "", "cmd5checkpw: wrong clear password"},
		{"cmd5checkpw", "tim\x00<1.2@h>\x00" + strings.Repeat("0", 32) + "\x00", 1, "", "cmd5checkpw: wrong digest"},
		{"cmd5checkpw", "crypted" + cramIn[3:], 2, "", "cmd5checkpw: a hash cannot answer a challenge"},
		{"checkvpw", "crypted" + cramIn[3:], 2, "", "checkvpw: a hash cannot answer a challenge"},
		{"checkvpw", "crypted\x00pw\x00<1.2@h>\x00", 0, want("crypted"), "checkvpw: USER/PASS against a crypt hash"},
		{"cmd5checkpw", "nobody" + cramIn[3:], 1, "", "cmd5checkpw: unknown user"},
		{"cmd5checkpw", "tim", 2, "", "malformed input"},
	}
	for _, c := range cases {
		code, out, stderr := runChecker(t, c.prog, env, c.input)
		if c.prog == "cmd5checkpw" && code == 0 {
			// It stays where it was started: compare only the fields it sets.
			f := strings.Split(out, "|")
			out = f[0] + "|||" + f[2] + "|"
		}
		if code != c.code || out != c.out {
			t.Errorf("%s: %s exit %d, output %q, stderr %q; want %d, %q", c.why, c.prog, code, out, stderr, c.code, c.out)
		}
	}
	// A single-user instance runs everything as the invoking user: even
	// an entry naming uid 0 changes nothing and is not refused.
	os.Mkdir(filepath.Join(qhome, "control"), 0o755)
	writeFile(t, qhome, "control/singleuser", "")
	if code, out, stderr := runChecker(t, "checkvpw", env, "rooted\x00x\x00\x00"); code != 0 || out != fmt.Sprintf("rooted|%s|%s|%s|", home, self, home) {
		t.Errorf("single-user instance: exit %d, output %q, stderr %q", code, out, stderr)
	}
	os.Remove(filepath.Join(qhome, VPasswdCDB))
	if code, _, _ := runChecker(t, "checkvpw", env, "tim\x00x\x00\x00"); code != 111 {
		t.Errorf("missing vpasswd.cdb: exit %d, want 111", code)
	}
}

func mustCrypt(t *testing.T, pw, salt string) string {
	t.Helper()
	h, err := Crypt([]byte(pw), salt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
