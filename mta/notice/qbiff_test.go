package notice

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/quail-mta/quail/internal/cli"
)

// utmpRecord is a glibc struct utmp of type typ for user on line.
func utmpRecord(typ int, user, line string) []byte {
	rec := make([]byte, utmpSize)
	binary.NativeEndian.PutUint16(rec[0:2], uint16(typ))
	binary.NativeEndian.PutUint32(rec[4:8], 4242) // ut_pid
	copy(rec[utmpLineOff:utmpLineOff+utmpNameLen], line)
	copy(rec[40:44], "ts/5") // ut_id
	copy(rec[utmpUserOff:utmpUserOff+utmpNameLen], user)
	copy(rec[76:], "remote.example") // ut_host
	return rec
}

func TestReadUtmp(t *testing.T) {
	var f bytes.Buffer
	f.Write(utmpRecord(2, "reboot", "~"))                                    // BOOT_TIME
	f.Write(utmpRecord(6, "LOGIN", "tty1"))                                  // LOGIN_PROCESS
	f.Write(utmpRecord(7, "joe", "pts/5"))                                   // USER_PROCESS
	f.Write(utmpRecord(8, "ann", "pts/6"))                                   // DEAD_PROCESS
	f.Write(utmpRecord(7, strings.Repeat("u", 32), strings.Repeat("l", 32))) // fields without NUL
	f.Write(utmpRecord(7, "cut", "short")[:100])                             // a short last record
	got, err := ReadUtmp(&f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Login{{"joe", "pts/5"}, {strings.Repeat("u", 32), strings.Repeat("l", 32)}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ReadUtmp = %q, want %q", got, want)
	}
}

// The layout must be the C library's: a record written by who(1)'s kind
// of programs on this machine, if there is one, reads as logins whose
// lines are terminal names.
func TestUtmpSize(t *testing.T) {
	if fi, err := os.Stat(UtmpFile); err == nil && fi.Size()%utmpSize != 0 {
		t.Errorf("%s is %d bytes, not a multiple of %d", UtmpFile, fi.Size(), utmpSize)
	}
}

func FuzzReadUtmp(f *testing.F) {
	f.Add(utmpRecord(7, "joe", "pts/5"))
	f.Add(append(utmpRecord(7, "a", "b"), 1, 2, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadUtmp(bytes.NewReader(b))
		if err != nil || len(got) > len(b)/utmpSize {
			t.Fatalf("%d logins from %d bytes, %v", len(got), len(b), err)
		}
		for _, l := range got {
			if len(l.User) > utmpNameLen || len(l.Line) > utmpNameLen || strings.ContainsRune(l.User+l.Line, 0) {
				t.Fatalf("login %q", l)
			}
		}
	})
}

// As qbiff.c builds it: CR LF BEL, the envelope line, CR LF, four blanks,
// the subject and the body's start in 78 bytes, line ends as slashes.
func TestAnnouncement(t *testing.T) {
	fields := header(t, "From: Bob <bob@x>\nSubject: lunch\n today?\n\n")
	got := Announcement("joe", "bob@sender.example", fields, []byte("Shall we meet at noon\nat the usual place?\n"))
	want := "\r\n\a*** TO <joe> FROM <bob@sender.example>\r\n    lunch/ today?//Shall we meet at noon/at the usual place?/\r\n"
	if string(got) != want {
		t.Errorf("announcement\n %q\nwant\n %q", got, want)
	}
	long := Announcement("joe\x01", "b\x7f@x", nil, []byte(strings.Repeat("z", 200)))
	want = "\r\n\a*** TO <joe_> FROM <b_@x>\r\n    /" + strings.Repeat("z", MaxText-5) + "\r\n"
	if string(long) != want {
		t.Errorf("cut and cleaned\n %q\nwant\n %q", long, want)
	}
	if got := Announcement("j", "s", header(t, "Subject: only a header\n"), nil); string(got) != "\r\n\a*** TO <j> FROM <s>\r\n    only a header/\r\n" {
		t.Errorf("no body: %q", got)
	}
}

// terminals makes a /dev of the test's own: regular files standing for
// terminals, with the modes and owners given.
func terminals(t *testing.T, modes map[string]os.FileMode) string {
	t.Helper()
	dev := t.TempDir()
	for name, mode := range modes {
		p := filepath.Join(dev, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	return dev
}

func invocation(t *testing.T, env []string, input string) *cli.Invocation {
	t.Helper()
	p := filepath.Join(t.TempDir(), "msg")
	os.WriteFile(p, []byte(input), 0o600)
	in, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return &cli.Invocation{Name: "qbiff", Args: []string{"qbiff"}, Env: env, Stdin: in, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Which terminals qbiff.c writes to: the user's logins whose line has
// neither a leading slash nor a dot, whose file is the user's own and
// has its owner execute bit set (biff y).
func TestBiffChoosesTerminals(t *testing.T) {
	dev := terminals(t, map[string]os.FileMode{
		"pts/5": 0o720, // biff y
		"pts/6": 0o620, // biff n
		"pts/7": 0o700, // another user's login
		"tty.1": 0o700, // a dot in the line
		"pts/8": 0o700, // a line of the user, but owned by someone else (below)
	})
	other := filepath.Join(dev, "pts/8")
	ownerRule := os.Chown(other, 4321, -1) == nil
	var utmp bytes.Buffer
	for _, r := range [][]byte{
		utmpRecord(7, "joe", "pts/5"), utmpRecord(7, "joe", "pts/6"), utmpRecord(7, "ann", "pts/7"),
		utmpRecord(7, "joe", "tty.1"), utmpRecord(7, "joe", "pts/8"), utmpRecord(7, "joe", "/etc/passwd"),
		utmpRecord(8, "joe", "pts/7"), utmpRecord(7, "joe", ""), utmpRecord(7, "joe", "pts/5"),
	} {
		utmp.Write(r)
	}
	utmpFile := filepath.Join(t.TempDir(), "utmp")
	os.WriteFile(utmpFile, utmp.Bytes(), 0o644)
	b := Biff{Utmp: utmpFile, Dev: dev, UID: os.Getuid()}
	inv := invocation(t, []string{"USER=joe", "SENDER=bob@sender.example", "LOCAL=joe"}, "Subject: hi\n\nhello\n")
	if code := b.Run(inv); code != 0 {
		t.Fatalf("exit %d", code)
	}
	woof := "\r\n\a*** TO <joe> FROM <bob@sender.example>\r\n    hi//hello/\r\n"
	for name, want := range map[string]string{
		"pts/5": woof + woof, // two logins on the line: written twice, as qbiff.c does
		"pts/6": "", "pts/7": "", "tty.1": "",
	} {
		if got, _ := os.ReadFile(filepath.Join(dev, name)); string(got) != want {
			t.Errorf("%s got %q, want %q", name, got, want)
		}
	}
	if got, _ := os.ReadFile(other); ownerRule && len(got) != 0 {
		t.Errorf("a terminal of uid 4321 got %q", got)
	}
	// Without USER, SENDER or LOCAL, or with a user name longer than
	// utmp holds, nothing is written and the delivery still succeeds.
	for _, env := range [][]string{
		{"SENDER=bob@x", "LOCAL=joe"}, {"USER=joe", "LOCAL=joe"}, {"USER=joe", "SENDER=bob@x"},
	} {
		os.WriteFile(filepath.Join(dev, "pts/5"), nil, 0o720)
		if code := b.Run(invocation(t, env, "Subject: x\n\n")); code != 0 {
			t.Errorf("env %q: exit %d", env, code)
		}
		if got, _ := os.ReadFile(filepath.Join(dev, "pts/5")); len(got) != 0 {
			t.Errorf("env %q: wrote %q", env, got)
		}
	}
}

// On a real terminal: a pseudo-terminal whose slave has its owner execute
// bit set, as biff y leaves it, shows the announcement on the master.
func TestBiffOnAPty(t *testing.T) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer master.Close()
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("ptsname: %v", e)
	}
	line := "pts/" + strconv.Itoa(int(n))
	slave, err := os.OpenFile("/dev/"+line, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open %s: %v", line, err)
	}
	defer slave.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(slave.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod("/dev/"+line, 0o720); err != nil {
		t.Skipf("biff y on %s: %v", line, err)
	}
	utmpFile := filepath.Join(t.TempDir(), "utmp")
	os.WriteFile(utmpFile, utmpRecord(7, "joe", line), 0o644)
	b := Biff{Utmp: utmpFile, Dev: "/dev", UID: int(st.Uid)}
	if code := b.Run(invocation(t, []string{"USER=joe", "SENDER=bob@sender.example", "LOCAL=joe-list"}, "Subject: on a pty\n\nhi\n")); code != 0 {
		t.Fatalf("exit %d", code)
	}
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []byte
	buf := make([]byte, 256)
	for !bytes.Contains(got, []byte("hi/")) {
		k, err := master.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			break
		}
	}
	// The terminal's output processing may add a CR before each LF.
	text := strings.ReplaceAll(string(got), "\r\r\n", "\r\n")
	if want := "\r\n\a*** TO <joe-list> FROM <bob@sender.example>\r\n    on a pty//hi/"; !strings.HasPrefix(text, want) {
		t.Errorf("the terminal shows %q, want %q", text, want)
	}
}
