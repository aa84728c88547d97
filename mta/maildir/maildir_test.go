package maildir

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCreateAndDeliver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	for _, s := range Subdirs {
		st, err := os.Stat(filepath.Join(dir, s))
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", s, st, err)
		}
	}
	if err := Create(dir); err == nil {
		t.Error("Create over an existing maildir succeeded; maildirmake refuses")
	}
	p1, err := Deliver(dir, []byte("Delivered-To: a@b\n"), strings.NewReader("Subject: x\n\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Deliver(dir, nil, strings.NewReader("second"))
	if err != nil {
		t.Fatal(err)
	}
	if p1 == p2 {
		t.Fatal("two deliveries got the same name")
	}
	b, _ := os.ReadFile(p1)
	if string(b) != "Delivered-To: a@b\nSubject: x\n\nbody\n" {
		t.Errorf("message = %q", b)
	}
	if filepath.Dir(p1) != filepath.Join(dir, "new") {
		t.Errorf("delivered to %s, want new/", p1)
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(tmp) != 0 {
		t.Errorf("tmp/ keeps %d files after delivery", len(tmp))
	}
	name := filepath.Base(p1)
	if !regexp.MustCompile(`^\d+\.M\d+P\d+Q\d+\.[^/:]+$`).MatchString(name) {
		t.Errorf("unique name %q is not time.MusecPpidQn.host", name)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDeliverFailures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	if _, err := Deliver(dir, nil, strings.NewReader("x")); !errors.Is(err, ErrNotMaildir) {
		t.Errorf("missing maildir: %v, want ErrNotMaildir", err)
	}
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	_, err := Deliver(dir, []byte("x"), io.MultiReader(strings.NewReader("part"), failingReader{}))
	var re *ReadError
	if !errors.As(err, &re) {
		t.Errorf("read failure: %v, want a *ReadError", err)
	}
	for _, s := range []string{"tmp", "new"} {
		ents, _ := os.ReadDir(filepath.Join(dir, s))
		if len(ents) != 0 {
			t.Errorf("%s/ keeps %d files after a failed delivery", s, len(ents))
		}
	}
}

func TestEscapeHost(t *testing.T) {
	if got := escapeHost("a/b:c"); got != `a\057b\072c` {
		t.Errorf("escapeHost = %q", got)
	}
}

func TestScanOrderAndCutoff(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1_700_000_000, 0)
	put := func(sub, name string, at time.Time) {
		p := filepath.Join(dir, sub, name)
		os.WriteFile(p, []byte(name), 0o600)
		os.Chtimes(p, at, at)
	}
	put("new", "3.new", base.Add(3*time.Second))
	put("cur", "1.cur:2,S", base.Add(1*time.Second))
	put("new", "2.new", base.Add(2*time.Second))
	put("new", ".hidden", base)
	put("new", "9.future", base.Add(100*time.Second))
	ms, err := Scan(dir, true, true, base.Add(100*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Subdir+"/"+m.Name)
	}
	want := "cur/1.cur:2,S new/2.new new/3.new"
	if strings.Join(got, " ") != want {
		t.Errorf("Scan = %v, want %s (oldest first, dot files and the current second left out)", got, want)
	}
	if ms[0].Unique() != "1.cur" {
		t.Errorf("Unique = %q", ms[0].Unique())
	}
	only, _ := Scan(dir, true, false, time.Time{})
	if len(only) != 3 {
		t.Errorf("Scan new only, no cutoff: %d messages, want 3", len(only))
	}
}

func TestClean(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := filepath.Join(dir, "tmp", "old")
	young := filepath.Join(dir, "tmp", "young")
	os.WriteFile(old, nil, 0o600)
	os.WriteFile(young, nil, 0o600)
	os.Chtimes(old, now.Add(-37*time.Hour), now.Add(-37*time.Hour))
	os.Chtimes(young, now.Add(-35*time.Hour), now.Add(-35*time.Hour))
	Clean(dir, now)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("a tmp file older than 36 hours survived")
	}
	if _, err := os.Stat(young); err != nil {
		t.Error("a tmp file younger than 36 hours was removed")
	}
}

func TestConcurrentDeliveriesGetDistinctNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	const n = 50
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := Deliver(dir, nil, strings.NewReader("x"))
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "new"))
	if len(ents) != n {
		t.Errorf("%d messages in new/, want %d", len(ents), n)
	}
}

// Only regular files are messages: a directory, a FIFO or a symbolic link
// to neither is left out of the listing; a link to a regular file counts
// as that file.
func TestScanRegularFilesOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	file := func(name string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("m\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	file("new/1.regular")
	file("cur/2.regular:2,S")
	os.Mkdir(filepath.Join(dir, "new", "3.directory"), 0o700)
	if err := syscall.Mkfifo(filepath.Join(dir, "new", "4.fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Symlink("4.fifo", filepath.Join(dir, "new", "5.link-to-fifo"))
	os.Symlink("1.regular", filepath.Join(dir, "new", "6.link-to-file"))
	os.Symlink("missing", filepath.Join(dir, "new", "7.dangling"))
	list, err := Scan(dir, true, true, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range list {
		names = append(names, m.Subdir+"/"+m.Name)
	}
	sort.Strings(names)
	if got := strings.Join(names, " "); got != "cur/2.regular:2,S new/1.regular new/6.link-to-file" {
		t.Errorf("listed %s", got)
	}
}

// OpenMessage refuses a FIFO at once, whether or not anyone writes it,
// and anything else that is not a regular file; it opens a regular one
// for reading.
func TestOpenMessage(t *testing.T) {
	d := t.TempDir()
	fifo := filepath.Join(d, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(d, "regular")
	os.WriteFile(reg, []byte("message\n"), 0o600)
	done := make(chan error, 1)
	go func() {
		f, err := OpenMessage(fifo)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("FIFO: %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the open so the test process can end.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("opening a FIFO blocked")
	}
	if _, err := OpenMessage(d); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: %v, want ErrNotRegular", err)
	}
	if _, err := OpenMessage(filepath.Join(d, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	f, err := OpenMessage(reg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "message\n" {
		t.Errorf("read %q, %v", b, err)
	}
}

// FindCur finds a message by its unique name whatever its info part is
// now, qmail-pop3d's ":2," first; never a longer name that merely starts
// with the same bytes, nor a directory.
func TestFindCur(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	Create(dir)
	for _, n := range []string{"1.a:2,", "2.b:2,RS", "3.c", "44.d:2,"} {
		os.WriteFile(filepath.Join(dir, "cur", n), nil, 0o600)
	}
	os.Mkdir(filepath.Join(dir, "cur", "5.e:2,"), 0o700)
	for unique, want := range map[string]string{"1.a": "1.a:2,", "2.b": "2.b:2,RS", "3.c": "3.c", "4": "", "44.d": "44.d:2,", "5.e": "", "9.z": ""} {
		p, err := FindCur(dir, unique)
		if err != nil {
			t.Fatal(err)
		}
		if want != "" {
			want = filepath.Join(dir, "cur", want)
		}
		if p != want {
			t.Errorf("%s: found %q, want %q", unique, p, want)
		}
	}
}
