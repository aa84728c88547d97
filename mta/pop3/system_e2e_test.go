package pop3

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/passwd"
)

// TestSystemUserChain runs tcpserver, qmail-popup, checkpassword and
// qmail-pop3d for a system user from test passwd and shadow files: as
// root checkpassword switches to the user (uid 65534, whose home it owns);
// otherwise the user is the invoking one.
func TestSystemUserChain(t *testing.T) {
	dir := t.TempDir()
	uid, gid := os.Getuid(), os.Getgid()
	home := filepath.Join(dir, "home")
	md := filepath.Join(home, "Maildir")
	for _, d := range []string{md + "/tmp", md + "/new", md + "/cur"} {
		os.MkdirAll(d, 0o700)
	}
	msg := filepath.Join(md, "new", "1.M1P1.test")
	os.WriteFile(msg, []byte("Subject: system\n\nhello\n"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(msg, old, old)
	if uid == 0 {
		uid, gid = 65534, 65534
		filepath.Walk(home, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, gid) })
		for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
	}
	// The user must be able to run qmail-pop3d: a copy in a directory
	// everyone can enter.
	pop3d := filepath.Join(dir, "qmail-pop3d")
	b, err := os.ReadFile(testbin.Path(t, "qmail-pop3d"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pop3d, b, 0o755)
	h, _ := passwd.Crypt([]byte("sesame"), "$6$rounds=1000$syssalt")
	pw := filepath.Join(dir, "passwd")
	sh := filepath.Join(dir, "shadow")
	os.WriteFile(pw, []byte(fmt.Sprintf("mailuser:x:%d:%d::%s:/bin/sh\n", uid, gid, home)), 0o644)
	os.WriteFile(sh, []byte("mailuser:"+h+":20000:0:99999:7:::\n"), 0o600)

	srv := testbin.StartServer(t, testbin.Path(t, "tcpserver"), []string{"PATH=/bin:/usr/bin", "CHECKPASSWORD_PASSWD=" + pw, "CHECKPASSWORD_SHADOW=" + sh},
		"-RH", "-l", "pop.test", "127.0.0.1", "0",
		testbin.Path(t, "qmail-popup"), "pop.test", testbin.Path(t, "checkpassword"), pop3d, "Maildir")
	conn, err := net.DialTimeout("tcp", srv.Addr("127.0.0.1"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(conn, "USER mailuser\r\nPASS sesame\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n")
	got, _ := io.ReadAll(conn)
	want := "+OK \r\n+OK \r\n+OK \r\nSubject: system\r\n\r\nhello\r\n.\r\n+OK \r\n+OK \r\n"
	if i := strings.Index(string(got), "\r\n"); i < 0 || string(got[i+2:]) != want {
		t.Fatalf("got %q\nwant greeting + %q\nlog: %s", got, want, srv.Stderr.String())
	}
	if _, err := os.Stat(msg); !os.IsNotExist(err) {
		t.Errorf("message not deleted: %v", err)
	}
}
