package pop3

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// testMaildir makes a Maildir holding msgs, the first the oldest; names
// are "<i>.test" in new/ (or cur/ with ":2,S" for those listed in cur).
func testMaildir(t testing.TB, msgs []string, cur map[int]bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Maildir")
	for _, s := range []string{"", "tmp", "new", "cur"} {
		if err := os.Mkdir(filepath.Join(dir, s), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour)
	for i, m := range msgs {
		p := filepath.Join(dir, "new", fmt.Sprintf("%d.test", i+1))
		if cur[i+1] {
			p = filepath.Join(dir, "cur", fmt.Sprintf("%d.test:2,S", i+1))
		}
		if err := os.WriteFile(p, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		mt := base.Add(time.Duration(i) * time.Second)
		os.Chtimes(p, mt, mt)
	}
	return dir
}

func dropDialog(t *testing.T, dir, in string) (string, string) {
	t.Helper()
	var out, log bytes.Buffer
	m := NewMaildrop(dir, iotest.OneByteReader(strings.NewReader(in)), &out, 0, &log)
	m.Run()
	return out.String(), log.String()
}

func listDir(t *testing.T, dir string) string {
	var names []string
	for _, s := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(dir, s))
		for _, e := range ents {
			names = append(names, s+"/"+e.Name())
		}
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func TestMaildropDialogs(t *testing.T) {
	msgs := []string{
		"Subject: one\n\nbody\n",
		"Subject: two\n\n.dot\n..two\nlast",
		"Subject: three\nX: y\n\nl1\nl2\nl3\n",
	}
	cases := []struct {
		in, out, files, why string
	}{
		{"STAT\r\nLIST\r\nUIDL\r\nQUIT\r\n",
			"+OK \r\n+OK 3 78\r\n+OK \r\n1 19\r\n2 29\r\n3 30\r\n.\r\n+OK \r\n1 1.test\r\n2 2.test\r\n3 3.test\r\n.\r\n+OK \r\n",
			"cur/1.test:2, cur/2.test:2, cur/3.test:2,S", "listing, oldest first; QUIT moves new/ to cur/ with :2,"},
		{"RETR 2\r\nQUIT\r\n",
			"+OK \r\n+OK \r\nSubject: two\r\n\r\n..dot\r\n...two\r\nlast\r\n.\r\n+OK \r\n",
			"cur/1.test:2, cur/2.test:2, cur/3.test:2,S", "dot-stuffing, CRLF, last line without LF"},
		{"TOP 3 1\r\nTOP 3 0\r\nTOP 3\r\n",
			"+OK \r\n+OK \r\nSubject: three\r\nX: y\r\n\r\nl1\r\n.\r\n+OK \r\nSubject: three\r\nX: y\r\n\r\n.\r\n+OK \r\nSubject: three\r\nX: y\r\n\r\nl1\r\nl2\r\nl3\r\n.\r\n",
			"cur/3.test:2,S new/1.test new/2.test", "TOP n body lines; no count sends all; EOF is no QUIT"},
		{"DELE 1\r\nDELE 1\r\nRETR 1\r\nSTAT\r\nLIST\r\nLAST\r\nQUIT\r\n",
			"+OK \r\n+OK \r\n-ERR already deleted\r\n-ERR already deleted\r\n+OK 2 59\r\n+OK \r\n2 29\r\n3 30\r\n.\r\n+OK 1\r\n+OK \r\n",
			"cur/2.test:2, cur/3.test:2,S", "deletion only at QUIT"},
		{"DELE 3\r\nRSET\r\nLAST\r\nSTAT\r\nQUIT\r\n", "+OK \r\n+OK \r\n+OK \r\n+OK 0\r\n+OK 3 78\r\n+OK \r\n",
			"cur/1.test:2, cur/2.test:2, cur/3.test:2,S", "RSET undeletes"},
		{"DELE 2\r\n", "+OK \r\n+OK \r\n", "cur/3.test:2,S new/1.test new/2.test", "end of input without QUIT deletes nothing"},
		{"LIST 0\r\nLIST 4\r\nLIST x\r\nLIST 2\r\nUIDL 3\r\nXTND\r\nNOOP\r\nLAST\r\n",
			"+OK \r\n-ERR messages are counted from 1\r\n-ERR not that many messages\r\n-ERR syntax error\r\n+OK 2 29\r\n+OK 3 3.test\r\n-ERR unimplemented\r\n+OK \r\n+OK 0\r\n",
			"cur/3.test:2,S new/1.test new/2.test", "errors and single listings"},
		{"CAPA\r\n", "+OK \r\n+OK capability list follows\r\nTOP\r\nUIDL\r\nPIPELINING\r\nIMPLEMENTATION quail\r\n.\r\n",
			"cur/3.test:2,S new/1.test new/2.test", "CAPA in the transaction state"},
		{"RETR 1\r\nLAST\r\nDELE 2\r\nLAST\r\n", "+OK \r\n+OK \r\nSubject: one\r\n\r\nbody\r\n.\r\n+OK 0\r\n+OK \r\n+OK 2\r\n",
			"cur/3.test:2,S new/1.test new/2.test", "as in qmail, only DELE counts for LAST"},
	}
	for _, c := range cases {
		dir := testMaildir(t, msgs, map[int]bool{3: true})
		out, log := dropDialog(t, dir, c.in)
		if out != c.out {
			t.Errorf("%s:\n got %q\nwant %q", c.why, out, c.out)
		}
		if got := listDir(t, dir); got != c.files {
			t.Errorf("%s: files %s, want %s (log %s)", c.why, got, c.files, log)
		}
	}
}

func TestMaildropSkipsThisSecond(t *testing.T) {
	dir := testMaildir(t, []string{"a\n"}, nil)
	// Delivered now: qmail-pop3d leaves it for the next session, since
	// its order among this second's arrivals is not settled.
	os.WriteFile(filepath.Join(dir, "new", "9.test"), []byte("new\n"), 0o600)
	out, _ := dropDialog(t, dir, "STAT\r\n")
	if out != "+OK \r\n+OK 1 2\r\n" {
		t.Errorf("got %q", out)
	}
}

func TestMaildropNoMaildir(t *testing.T) {
	out, _ := dropDialog(t, filepath.Join(t.TempDir(), "none"), "STAT\r\n")
	if out != "-ERR this user has no $HOME/Maildir\r\n" {
		t.Errorf("got %q", out)
	}
}

func TestMaildropConcurrentRemoval(t *testing.T) {
	dir := testMaildir(t, []string{"a\n", "b\n"}, nil)
	r, w := ioPipe()
	or, ow := ioPipe()
	m := NewMaildrop(dir, r, ow, 0, nil)
	go func() { m.Run(); ow.Close() }()
	replies := bufio.NewReader(or)
	go w.Write([]byte("NOOP\r\n"))
	for range 2 { // the greeting and the NOOP: the listing is made
		if l, err := replies.ReadString('\n'); l != "+OK \r\n" || err != nil {
			t.Fatalf("got %q, %v", l, err)
		}
	}
	// Another session takes message 1 away meanwhile.
	os.Remove(filepath.Join(dir, "new", "1.test"))
	go func() { w.Write([]byte("RETR 1\r\nDELE 1\r\nQUIT\r\n")); w.Close() }()
	rest, _ := io.ReadAll(replies)
	if string(rest) != "-ERR unable to open that message\r\n+OK \r\n+OK \r\n" {
		t.Errorf("got %q", rest)
	}
	if got := listDir(t, dir); got != "cur/2.test:2," {
		t.Errorf("files %s", got)
	}
}

func TestWriteMessage(t *testing.T) {
	long := strings.Repeat("x", 100000)
	cases := []struct {
		msg   string
		lines int
		want  string
		why   string
	}{
		{"", -1, ".\r\n", "empty message"},
		{"a\r\nb\n", -1, "a\r\nb\r\n.\r\n", "CR before LF is not doubled"},
		{".\n", -1, "..\r\n.\r\n", "a lone dot is stuffed"},
		{long + "\n." + long + "\n", -1, long + "\r\n.." + long + "\r\n.\r\n", "lines longer than the buffer"},
		{"h\n\n" + long + ".x\nb\n", 1, "h\r\n\r\n" + long + ".x\r\n.\r\n", "a dot inside a long line is not at a line start"},
		{strings.Repeat("y", 32<<10-1) + "\r\nz\r", -1, strings.Repeat("y", 32<<10-1) + "\r\nz\r\r\n.\r\n", "CR LF split across buffers; a lone CR at the end is kept"},
		{strings.Repeat("y", 32<<10-1) + "\rz\n", -1, strings.Repeat("y", 32<<10-1) + "\rz\r\n.\r\n", "lone CR at a buffer end is kept"},
		{"h: 1\nh: 2\n", 0, "h: 1\r\nh: 2\r\n.\r\n", "header without body"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := WriteMessage(&b, strings.NewReader(c.msg), c.lines); err != nil || b.String() != c.want {
			t.Errorf("%s: got %.80q, %v", c.why, b.String(), err)
		}
	}
}

func FuzzWriteMessage(f *testing.F) {
	f.Add([]byte("Subject: x\n\n.a\nb"), 1)
	f.Add([]byte("\r\n.\r\n"), -1)
	f.Fuzz(func(t *testing.T, msg []byte, lines int) {
		var b bytes.Buffer
		WriteMessage(&b, bytes.NewReader(msg), lines)
		out := b.String()
		// The terminator appears once, at the end: the body can never end
		// the response early.
		if !strings.HasSuffix(out, ".\r\n") || strings.Contains(out[:len(out)-3], "\r\n.\r\n") || strings.HasPrefix(out, ".\r\n") && len(out) > 3 {
			t.Fatalf("message %q gave %q", msg, out)
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	dir := testMaildir(t, []string{"a\n"}, nil)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out bytes.Buffer
	m := NewMaildrop(dir, r, &out, 50*time.Millisecond, nil)
	w.WriteString("DELE 1\r\n")
	if err := m.Run(); !isTimeout(err) {
		t.Fatalf("Run = %v, want a timeout", err)
	}
	if listDir(t, dir) != "new/1.test" {
		t.Errorf("a session that timed out must not delete: %s", listDir(t, dir))
	}
	var pout bytes.Buffer
	pr, pw, _ := os.Pipe()
	defer pw.Close()
	p := NewPopup(&PopupConfig{Timestamp: "<1.2@h>", Timeout: 50 * time.Millisecond}, pr, &pout, nil, nil)
	if err := p.Run(); !isTimeout(err) || !strings.HasSuffix(pout.String(), "-ERR timeout\r\n") {
		t.Errorf("popup: %v, %q", err, pout.String())
	}
}

// FuzzMaildrop runs whole sessions over a fixed Maildir: no input may
// panic or hang, and every reply is whole lines. QUIT is left out so
// the Maildir stays the same for every input.
func FuzzMaildrop(f *testing.F) {
	for _, s := range []string{"STAT\r\nLIST\r\nUIDL 2\r\n", "RETR 1\r\nTOP 2 0\r\nTOP 2 99999999999999999999\r\n", "DELE 1\r\nRSET\r\nLAST\r\nLIST 1\r\n", "LIST 18446744073709551617\r\n\x00\r\n"} {
		f.Add(s)
	}
	dir := testMaildir(f, []string{"Subject: a\n\n.x\n", "b", ""}, map[int]bool{2: true})
	f.Fuzz(func(t *testing.T, in string) {
		if strings.Contains(strings.ToLower(in), "quit") {
			return
		}
		var out bytes.Buffer
		NewMaildrop(dir, strings.NewReader(in), &out, 0, nil).Run()
		if !strings.HasPrefix(out.String(), "+OK \r\n") || !strings.HasSuffix(out.String(), "\r\n") {
			t.Fatalf("input %q gave %q", in, out.String())
		}
	})
}

// liveSession is a Maildrop session run command by command, so that two
// of them can interleave on one Maildir.
type liveSession struct {
	t    *testing.T
	w    *io.PipeWriter
	r    *bufio.Reader
	done chan struct{}
	log  *bytes.Buffer
}

// startSession starts a session, which lists the Maildir, and reads its
// first "+OK".
func startSession(t *testing.T, dir string) *liveSession {
	t.Helper()
	r, w := ioPipe()
	or, ow := ioPipe()
	s := &liveSession{t: t, w: w, r: bufio.NewReader(or), done: make(chan struct{}), log: &bytes.Buffer{}}
	m := NewMaildrop(dir, r, ow, 0, s.log)
	go func() { m.Run(); ow.Close(); close(s.done) }()
	t.Cleanup(func() { w.Close(); <-s.done })
	if l := s.line(); l != "+OK \r\n" {
		t.Fatalf("greeting %q", l)
	}
	return s
}

func (s *liveSession) line() string {
	s.t.Helper()
	l, err := s.r.ReadString('\n')
	if err != nil {
		s.t.Fatalf("reading a reply: %v (got %q)", err, l)
	}
	return l
}

// cmd sends a command and returns its reply, all of it for a listing or
// a message (until the line ".").
func (s *liveSession) cmd(c string, multi bool) string {
	s.t.Helper()
	go s.w.Write([]byte(c + "\r\n"))
	out := s.line()
	for multi && strings.HasPrefix(out, "+OK") && !strings.HasSuffix(out, "\r\n.\r\n") {
		out += s.line()
	}
	return out
}

// Two sessions on one maildrop never lose a deletion: the message one
// session deleted is found and deleted in cur/, where the other session's
// QUIT moved it, and a message moved there after the listing is still
// retrieved.
func TestMaildropTwoSessions(t *testing.T) {
	dir := testMaildir(t, []string{"Subject: one\n\n1\n", "Subject: two\n\n2\n", "Subject: three\n\n3\n"}, map[int]bool{3: true})
	a := startSession(t, dir)
	b := startSession(t, dir)
	if got := b.cmd("DELE 1", false); got != "+OK \r\n" {
		t.Fatalf("DELE 1: %q", got)
	}
	// A leaves first: it moves 1 and 2 from new/ to cur/.
	if got := a.cmd("QUIT", false); got != "+OK \r\n" {
		t.Fatalf("a's QUIT: %q", got)
	}
	if got := listDir(t, dir); got != "cur/1.test:2, cur/2.test:2, cur/3.test:2,S" {
		t.Fatalf("after a's QUIT: %s", got)
	}
	// B still finds message 2 for RETR, then deletes it and 1 in cur/.
	if got := b.cmd("RETR 2", true); got != "+OK \r\nSubject: two\r\n\r\n2\r\n.\r\n" {
		t.Errorf("RETR 2 after the move: %q", got)
	}
	b.cmd("DELE 2", false)
	if got := b.cmd("QUIT", false); got != "+OK \r\n" {
		t.Errorf("b's QUIT: %q (log %s)", got, b.log)
	}
	if got := listDir(t, dir); got != "cur/3.test:2,S" {
		t.Errorf("after b's QUIT: %s, want only message 3 left", got)
	}

	// The same when another reader has set flags on a message of cur/.
	dir = testMaildir(t, []string{"Subject: one\n\n1\n"}, map[int]bool{1: true})
	c := startSession(t, dir)
	c.cmd("DELE 1", false)
	os.Rename(filepath.Join(dir, "cur", "1.test:2,S"), filepath.Join(dir, "cur", "1.test:2,RS"))
	if got := c.cmd("QUIT", false); got != "+OK \r\n" || listDir(t, dir) != "" {
		t.Errorf("QUIT %q left %s", got, listDir(t, dir))
	}
}

// What anyone who can write the Maildir puts in new/ cannot make
// qmail-pop3d print lines it did not mean, nor hang it: only regular
// files with names of printable ASCII are listed (a CR LF, a space or a
// control character in a name would split or add UIDL lines), a FIFO or
// directory is left out, and a message turned into a FIFO after the
// listing is refused without blocking.
func TestMaildropHostileNames(t *testing.T) {
	dir := testMaildir(t, []string{"Subject: one\n\n1\n", "Subject: two\n\n2\n"}, nil)
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{"3.test\r\n2 forged", "4.test forged", "5.test\x1b[2J", "6.test\xff"} {
		p := filepath.Join(dir, "new", n)
		if err := os.WriteFile(p, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "new", "7.fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(dir, "new", "7.fifo"), old, old)
	os.Mkdir(filepath.Join(dir, "new", "8.dir"), 0o700)
	os.Chtimes(filepath.Join(dir, "new", "8.dir"), old, old)

	s := startSession(t, dir)
	if got := s.cmd("UIDL", true); got != "+OK \r\n1 1.test\r\n2 2.test\r\n.\r\n" {
		t.Errorf("UIDL %q", got)
	}
	if got := s.cmd("LIST", true); got != "+OK \r\n1 16\r\n2 16\r\n.\r\n" {
		t.Errorf("LIST %q", got)
	}
	// Message 1 becomes a FIFO after the listing.
	p := filepath.Join(dir, "new", "1.test")
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() { got <- s.cmd("RETR 1", true) }()
	select {
	case g := <-got:
		if g != "-ERR unable to open that message\r\n" {
			t.Errorf("RETR of a FIFO: %q", g)
		}
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("RETR of a FIFO blocked")
	}
	if got := s.cmd("QUIT", false); got != "+OK \r\n" {
		t.Errorf("QUIT %q", got)
	}
	<-s.done
	if !strings.Contains(s.log.String(), "qmail-pop3d: warning: left out 4 file(s) of "+dir+" whose names are not printable ASCII without spaces\n") {
		t.Errorf("log %q", s.log)
	}
}
