package notice

import (
	"bufio"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/inject"
)

// MaxText is how much of the subject and body qbiff shows: qbiff.c's 78
// bytes, the four blanks in front included.
const MaxText = 78

// Announcement is what qbiff.c writes to a terminal for mail to local
// (the recipient address's local part, $LOCAL) from sender: a CR LF, a
// bell, "*** TO <local> FROM <sender>" (bytes outside 32..126 shown as
// '_'), CR LF, then four blanks and the subjects and the start of the
// body cut to MaxText bytes (bytes outside 32..126, line ends included,
// shown as '/'), CR LF. body is the message after its header, nil when
// the message ended with its header.
func Announcement(local, sender string, fields []inject.Field, body []byte) []byte {
	tofrom := []byte("*** TO <" + local + "> FROM <" + sender + ">")
	for i, c := range tofrom {
		if c < 32 || c > 126 {
			tofrom[i] = '_'
		}
	}
	text := []byte("    ")
	add := func(b []byte) {
		text = append(text, b...)
		if len(text) > MaxText {
			text = text[:MaxText]
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, "Subject") {
			v := strings.TrimLeft(f.Value+"\n", " \t\r\n")
			add([]byte(v))
		}
	}
	if body != nil {
		// The line that ended the header is the body's first, as
		// qmail's headerbody hands it on.
		add([]byte("\n"))
		add(body)
	}
	for i, c := range text {
		if c < 32 || c > 126 {
			text[i] = '/'
		}
	}
	out := append([]byte("\r\n\a"), tofrom...)
	out = append(out, "\r\n"...)
	out = append(out, text...)
	return append(out, "\r\n"...)
}

// Biff is where qbiff looks: the utmp file, the directory the terminal
// lines are relative to, and the uid a terminal must belong to.
type Biff struct {
	Utmp string // UtmpFile
	Dev  string // "/dev"
	UID  int    // the process's uid
}

// Qbiff is qbiff(1), run from a .qmail file as "|qbiff": for mail to
// $LOCAL from $SENDER it writes the Announcement to each terminal where
// $USER is logged in, if that terminal is the user's and has its owner
// execute bit set ("biff y").
func Qbiff(inv *cli.Invocation) int {
	return Biff{Utmp: UtmpFile, Dev: "/dev", UID: os.Getuid()}.Run(inv)
}

// Run is Qbiff with b's files. It always exits 0, as qbiff.c does: a
// notice that cannot be written never fails a delivery.
func (b Biff) Run(inv *cli.Invocation) int {
	user, ok1 := inv.Getenv("USER")
	sender, ok2 := inv.Getenv("SENDER")
	local, ok3 := inv.Getenv("LOCAL")
	if !ok1 || !ok2 || !ok3 || len(user) > utmpNameLen {
		return cli.ExitOK
	}
	in := bufio.NewReaderSize(inv.Stdin, 16<<10)
	fields, err := inject.ReadHeader(in)
	if err != nil {
		return cli.ExitOK
	}
	var body []byte
	if _, err := in.Peek(1); err == nil {
		body, _ = in.Peek(MaxText)
		body = append([]byte(nil), body...)
	}
	io.Copy(io.Discard, in)
	woof := Announcement(local, sender, fields, body)

	f, err := os.Open(b.Utmp)
	if err != nil {
		return cli.ExitOK
	}
	logins, _ := ReadUtmp(bufio.NewReader(f))
	f.Close()
	for _, l := range logins {
		if l.User != user {
			continue
		}
		if l.Line == "" || l.Line[0] == '/' || strings.Contains(l.Line, ".") {
			continue
		}
		b.write(b.Dev+"/"+l.Line, woof)
	}
	return cli.ExitOK
}

// write appends woof to the terminal at path if it belongs to b.UID and
// its owner execute bit is set; it never waits on a terminal that does
// not take the bytes at once.
func (b Biff) write(path string, woof []byte) {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_APPEND|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&0o100 == 0 || int(st.Uid) != b.UID {
		return
	}
	for len(woof) > 0 {
		n, err := syscall.Write(fd, woof)
		if err != nil || n <= 0 {
			return
		}
		woof = woof[n:]
	}
}
