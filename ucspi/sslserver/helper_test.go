package sslserver

import (
	"bufio"
	"crypto/tls"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestTLSIdentity(t *testing.T) {
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	nuid, _ := strconv.Atoi(nobody.Uid)
	ngid, _ := strconv.Atoi(nobody.Gid)
	cases := []struct {
		why      string
		env      map[string]string
		want     identity
		separate bool
		err      string
	}{
		{"none set: the TLS side stays in the server", nil, identity{uid: 7, gid: 8}, false, ""},
		{"an empty one counts as unset", map[string]string{"SSL_UID": ""}, identity{uid: 7, gid: 8}, false, ""},
		{"SSL_CHROOT alone keeps -u and -g", map[string]string{"SSL_CHROOT": "/var/empty"}, identity{root: "/var/empty", uid: 7, gid: 8}, true, ""},
		{"numeric ids", map[string]string{"SSL_UID": "100", "SSL_GID": "200"}, identity{uid: 100, gid: 200}, true, ""},
		{"SSL_USER and its group", map[string]string{"SSL_USER": "nobody"}, identity{uid: nuid, gid: ngid}, true, ""},
		{"SSL_UID wins over SSL_USER", map[string]string{"SSL_USER": "nobody", "SSL_UID": "100"}, identity{uid: 100, gid: ngid}, true, ""},
		{"SSL_GID wins over SSL_USER's group", map[string]string{"SSL_USER": "nobody", "SSL_GID": "200"}, identity{uid: nuid, gid: 200}, true, ""},
		{"a bad SSL_UID", map[string]string{"SSL_UID": "x"}, identity{}, true, `bad SSL_UID "x"`},
		{"a negative SSL_GID", map[string]string{"SSL_GID": "-1"}, identity{}, true, `bad SSL_GID "-1"`},
		{"an unknown SSL_USER", map[string]string{"SSL_USER": "no-such-user-here"}, identity{}, true, "unable to find SSL_USER no-such-user-here: "},
		{"an unknown SSL_GROUP", map[string]string{"SSL_GROUP": "no-such-group-here"}, identity{}, true, "unable to find SSL_GROUP no-such-group-here: "},
	}
	for _, c := range cases {
		got, separate, err := tlsIdentity(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }, 7, 8)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%s: got %v, want an error %q", c.why, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || separate != c.separate {
			t.Errorf("%s: got %+v %v %v, want %+v %v", c.why, got, separate, err, c.want, c.separate)
		}
	}
}

// helperOf finds the TLS helper among the server's children.
func helperOf(t *testing.T, srv *testbin.Server) int {
	t.Helper()
	for _, p := range testbin.Children(srv.Cmd.Process.Pid) {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cmdline"); strings.HasPrefix(string(b), helperName+"\x00") {
			return p
		}
	}
	t.Fatalf("no TLS helper under sslserver %d", srv.Cmd.Process.Pid)
	return 0
}

// TestHelperTakesTheTLSIdentity: with SSL_CHROOT and SSL_USER the TLS side
// runs in a helper inside the directory as that user, while the program
// runs as sslserver's -u and -g (here root's, as the server was started).
func TestHelperTakesTheTLSIdentity(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: chroot and a change of user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	jail := t.TempDir()
	env := append(baseEnv(t), "SSL_CHROOT="+jail, "SSL_USER=nobody")
	srv := startLogged(t, env, "-s", "127.0.0.1", "0", "sh", "-c", `id -u; echo "$SSL_PROTOCOL"`)
	tc, err := tls.Dial("tcp", srv.Addr("127.0.0.1"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(tc)
	if string(b) != "0\nTLSv1.3\n" {
		t.Errorf("the program printed %q, want its uid 0 and the protocol", b)
	}
	h := helperOf(t, srv)
	if root, err := os.Readlink("/proc/" + strconv.Itoa(h) + "/root"); err != nil || root != jail {
		t.Errorf("helper's root is %q (%v), want %s", root, err, jail)
	}
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(h) + "/status")
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) > 1 && (f[0] == "Uid:" && f[1] != nobody.Uid || f[0] == "Gid:" && f[1] != nobody.Gid) {
			t.Errorf("helper: %s, want nobody's ids %s/%s", l, nobody.Uid, nobody.Gid)
		}
	}
}

// TestHelperStartErrors: what keeps the helper from starting is fatal at
// start, in the words of sslserver.
func TestHelperStartErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, c := range []struct{ why, env, want string }{
		{"a missing SSL_CHROOT", "SSL_CHROOT=" + missing, "sslserver: fatal: unable to chroot to " + missing + ": file does not exist\n"},
		{"a bad SSL_UID", "SSL_UID=x", "sslserver: fatal: bad SSL_UID \"x\"\n"},
		{"an unknown SSL_USER", "SSL_USER=no-such-user-here", "sslserver: fatal: unable to find SSL_USER no-such-user-here: "},
	} {
		cmd := exec.Command(testbin.Path(t, "sslserver"), "127.0.0.1", "0", "true")
		cmd.Env = append(baseEnv(t), c.env)
		_, errs, code := testbin.Run(t, cmd)
		if code != 111 || !strings.HasPrefix(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, %q; want 111 and %q", c.why, code, errs, c.want)
		}
	}
}

// TestHelperOutlivesTheServer: after SIGTERM the server is gone but a
// session in the helper goes on, as programs outlive sslserver; once it is
// over the helper exits too.
func TestHelperOutlivesTheServer(t *testing.T) {
	env := append(baseEnv(t), "SSL_UID="+strconv.Itoa(os.Getuid()))
	srv := startLogged(t, env, "127.0.0.1", "0", "sh", "-c", "echo ready; read line; echo got $line")
	tc, err := tls.Dial("tcp", srv.Addr("127.0.0.1"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	r := bufio.NewReader(tc)
	if l, _ := r.ReadString('\n'); l != "ready\n" {
		t.Fatalf("got %q", l)
	}
	h := helperOf(t, srv)
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("sslserver did not exit on SIGTERM")
	}
	tc.Write([]byte("after\n"))
	if l, _ := r.ReadString('\n'); l != "got after\n" {
		t.Fatalf("after the server's exit the session gave %q", l)
	}
	if !testbin.Eventually(10*time.Second, func() bool {
		// gone, or a zombie nobody reaps in this test's container
		b, err := os.ReadFile("/proc/" + strconv.Itoa(h) + "/stat")
		return err != nil || strings.Contains(string(b), ") Z ")
	}) {
		t.Errorf("helper %d still running after its last session", h)
	}
}
