package users_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/users"
)

func run(t *testing.T, env []string, stdin string, prog string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, prog), args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, errb, code := testbin.Run(t, cmd)
	return code, out, errb
}

// qmail-pw2u's output through qmail-newu is what Lookup reads back.
func TestPw2uNewuLookup(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "users"), 0o755)
	env := []string{"QMAILHOME=" + home}
	pw := "joe:x:1001:100::/home/joe:/bin/sh\nalias:x:7790:2108::/var/qmail/alias:/bin/true\n"
	code, assign, stderr := run(t, env, pw, "qmail-pw2u", "-H")
	if code != 0 {
		t.Fatalf("qmail-pw2u: %d %q", code, stderr)
	}
	os.WriteFile(filepath.Join(home, "users", "assign"), []byte(assign), 0o644)
	if code, _, stderr := run(t, env, "", "qmail-newu"); code != 0 {
		t.Fatalf("qmail-newu: %d %q", code, stderr)
	}
	st, err := os.Stat(filepath.Join(home, "users", "cdb"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("users/cdb: %v %v", st, err)
	}
	tests := []struct {
		local string
		want  users.Assignment
	}{
		{"joe", users.Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe"}},
		{"Joe-Work", users.Assignment{User: "joe", UID: 1001, GID: 100, Home: "/home/joe", Dash: "-", Ext: "Work"}},
		{"postmaster", users.Assignment{User: "alias", UID: 7790, GID: 2108, Home: "/var/qmail/alias", Dash: "-", Ext: "postmaster"}},
	}
	for _, tt := range tests {
		got, ok, err := users.Lookup(home, tt.local)
		if err != nil || !ok || got != tt.want {
			t.Errorf("Lookup(%q) = %+v %v %v, want %+v", tt.local, got, ok, err, tt.want)
		}
	}
}

func TestNewuRefusesBadAssign(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "users"), 0o755)
	env := []string{"QMAILHOME=" + home}
	os.WriteFile(filepath.Join(home, "users", "assign"), []byte("=joe:joe:1:2:/h:::\n"), 0o644)
	code, _, stderr := run(t, env, "", "qmail-newu")
	if code != 111 || !strings.HasPrefix(stderr, "qmail-newu: fatal: unable to parse users/assign: ") {
		t.Errorf("no final dot: %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(home, "users", "cdb")); err == nil {
		t.Error("users/cdb made from a bad users/assign")
	}
	os.Remove(filepath.Join(home, "users", "assign"))
	if code, _, stderr := run(t, env, "", "qmail-newu"); code != 111 || !strings.Contains(stderr, "unable to read users/assign") {
		t.Errorf("missing users/assign: %d %q", code, stderr)
	}
}

func TestGetpwCommand(t *testing.T) {
	// The real password file: root never receives mail, and without an
	// alias account nobody takes an unknown name (exit 116), or the alias
	// account does.
	code, out, _ := run(t, nil, "", "qmail-getpw", "nosuchuser-xyz")
	switch code {
	case users.ExitNoAlias:
		if out != "" {
			t.Errorf("exit 116 with output %q", out)
		}
	case 0:
		if !strings.HasPrefix(out, "alias\x00") || !strings.HasSuffix(out, "\x00-\x00nosuchuser-xyz\x00") {
			t.Errorf("alias answer %q", out)
		}
	default:
		t.Errorf("exit %d", code)
	}
	if code, _, _ := run(t, nil, "", "qmail-getpw"); code != 100 {
		t.Errorf("no argument: exit %d, want 100", code)
	}
}

func TestPw2uReadsUsersFiles(t *testing.T) {
	home := t.TempDir()
	u := filepath.Join(home, "users")
	os.MkdirAll(u, 0o755)
	os.WriteFile(filepath.Join(u, "include"), []byte("# who\nJoe\nalias\nann  \n"), 0o644)
	os.WriteFile(filepath.Join(u, "exclude"), []byte("ann\n"), 0o644)
	os.WriteFile(filepath.Join(u, "mailnames"), []byte("joe:joe.smith:js\nnocolon\n"), 0o644)
	os.WriteFile(filepath.Join(u, "subusers"), []byte("sales:joe:s:\n"), 0o644)
	os.WriteFile(filepath.Join(u, "append"), []byte("=x:joe:1001:100:/home/joe:::\n"), 0o644)
	pw := "joe:x:1001:100::/home/joe:/bin/sh\nbob:x:1005:100::/home/bob:/bin/sh\n" +
		"ann:x:1004:100::/home/ann:/bin/sh\nalias:x:7790:2108::/var/qmail/alias:/bin/true\n"
	code, out, stderr := run(t, []string{"QMAILHOME=" + home}, pw, "qmail-pw2u", "-H", "-c", "+")
	want := "=joe.smith:joe:1001:100:/home/joe:::\n+joe.smith+:joe:1001:100:/home/joe:-::\n" +
		"=js:joe:1001:100:/home/joe:::\n+js+:joe:1001:100:/home/joe:-::\n" +
		"+:alias:7790:2108:/var/qmail/alias:-::\n" +
		"=alias:alias:7790:2108:/var/qmail/alias:::\n+alias+:alias:7790:2108:/var/qmail/alias:-::\n" +
		"=sales:joe:1001:100:/home/joe:-:s:\n+sales+:joe:1001:100:/home/joe:-:s-:\n" +
		"=x:joe:1001:100:/home/joe:::\n.\n"
	if code != 0 || out != want {
		t.Errorf("exit %d stderr %q\ngot\n%s\nwant\n%s", code, stderr, out, want)
	}
	if code, _, stderr := run(t, []string{"QMAILHOME=" + home}, pw, "qmail-pw2u", "-x"); code != 100 || !strings.HasPrefix(stderr, "qmail-pw2u: usage: ") {
		t.Errorf("bad option: %d %q", code, stderr)
	}
}
