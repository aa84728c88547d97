package rawsys

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// bothWays runs f with the calls ordinary and raw.
func bothWays(t *testing.T, f func(t *testing.T)) {
	defer enabled.Store(enabled.Load())
	for _, raw := range []bool{false, true} {
		enabled.Store(raw)
		t.Run("raw="+strconv.FormatBool(raw), f)
	}
}

func TestStatAsOS(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "f")
		if err := os.WriteFile(file, []byte("12345"), 0o4751); err != nil {
			t.Fatal(err)
		}
		os.Chmod(file, 0o4751|os.ModeSetuid)
		fifo := filepath.Join(dir, "p")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "l")
		if err := os.Symlink("f", link); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{file, dir, fifo, link} {
			want, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			ws, gs := want.Sys().(*syscall.Stat_t), got.Sys().(*syscall.Stat_t)
			if got.Name() != want.Name() || got.Size() != want.Size() || got.Mode() != want.Mode() ||
				!got.ModTime().Equal(want.ModTime()) || got.IsDir() != want.IsDir() || gs.Ino != ws.Ino || gs.Dev != ws.Dev {
				t.Errorf("%s: got %v %d %v %v, want %v %d %v %v", p, got.Name(), got.Size(), got.Mode(), got.ModTime(),
					want.Name(), want.Size(), want.Mode(), want.ModTime())
			}
		}
		if _, err := Stat(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file: %v", err)
		}
	})
}

func TestFile(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f")
		f, err := OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
			t.Errorf("second exclusive create: %v", err)
		}
		data := bytes.Repeat([]byte("queue "), 50000)
		if n, err := f.Write(data); n != len(data) || err != nil {
			t.Fatalf("Write: %d %v", n, err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil || st.Size != int64(len(data)) {
			t.Fatalf("Stat: %+v %v", st, err)
		}
		if err := f.Flock(syscall.LOCK_EX | syscall.LOCK_NB); err != nil {
			t.Fatal(err)
		}
		other, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			t.Error("a second lock was granted")
		}
		other.Close()
		if err := Link(p, p+".link"); err != nil {
			t.Fatal(err)
		}
		if err := LinkFollow("/proc/self/fd/"+strconv.Itoa(f.Fd()), p+".proc"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{p + ".link", p + ".proc"} {
			if b, err := os.ReadFile(q); err != nil || !bytes.Equal(b, data) {
				t.Errorf("%s: %d bytes, %v", q, len(b), err)
			}
		}
		if err := Link(p, p+".link"); !errors.Is(err, fs.ErrExist) {
			t.Errorf("link over an existing name: %v", err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := SyncDir(dir); err != nil {
			t.Error(err)
		}
		if err := SyncDir(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("SyncDir of nothing: %v", err)
		}
		if _, err := f.Write([]byte("x")); err == nil {
			t.Error("Write after Close succeeded")
		}
	})
}

func TestReadFile(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		dir := t.TempDir()
		for _, size := range []int{0, 1, 511, 512, 513, 4096, 100000} {
			p := filepath.Join(dir, strconv.Itoa(size))
			data := bytes.Repeat([]byte{'a' + byte(size%26)}, size)
			os.WriteFile(p, data, 0o644)
			got, err := ReadFile(p, 100000)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("size %d: %d bytes, %v", size, len(got), err)
			}
			// Over the limit: limit+1 bytes, so that the caller can tell.
			if size > 0 {
				got, err := ReadFile(p, size-1)
				if err != nil || len(got) != size {
					t.Errorf("size %d, limit %d: %d bytes, %v", size, size-1, len(got), err)
				}
			}
		}
		if _, err := ReadFile(filepath.Join(dir, "none"), 10); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing: %v", err)
		}
		if _, err := ReadFile(dir, 10); err == nil {
			t.Error("a directory was read")
		}
	})
}

// TestWriterFullPipe: a non-blocking pipe that fills up loses nothing;
// the rest waits in the *os.File.
func TestWriterFullPipe(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		r, w, err := os.Pipe() // non-blocking, in the poller
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		data := bytes.Repeat([]byte("log line\n"), 100000)
		got := make(chan []byte)
		go func() {
			time.Sleep(50 * time.Millisecond) // let the pipe fill
			b, _ := io.ReadAll(r)
			got <- b
		}()
		n, err := Writer{F: w}.Write(data)
		w.Close()
		if n != len(data) || err != nil {
			t.Fatalf("Write: %d of %d, %v", n, len(data), err)
		}
		if b := <-got; !bytes.Equal(b, data) {
			t.Errorf("read %d bytes, wrote %d", len(b), len(data))
		}
	})
}

func socketPair(t *testing.T) (a, b *os.File) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.SetNonblock(fds[0], true)
	syscall.SetNonblock(fds[1], true)
	a, b = os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestConn(t *testing.T) {
	a, b := socketPair(t)
	ca, ok := NewConn(a)
	if !ok {
		t.Fatal("a non-blocking socket was refused")
	}
	cb, _ := NewConn(b)
	data := bytes.Repeat([]byte("SMTP "), 200000) // more than the socket holds
	done := make(chan error, 1)
	go func() {
		_, err := ca.Write(data)
		done <- err
	}()
	got := make([]byte, 0, len(data))
	buf := make([]byte, 8192)
	for len(got) < len(data) {
		n, err := cb.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-done; err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Write %v; read %d of %d bytes", err, len(got), len(data))
	}
	// A deadline ends a read that waits.
	cb.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := cb.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v", err)
	}
	cb.SetReadDeadline(time.Time{})
	a.Close()
	if _, err := cb.Read(buf); err != io.EOF {
		t.Errorf("read after the peer closed: %v", err)
	}
}

func TestNewConnRefusesBlocking(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := NewConn(f); ok {
		t.Error("a regular file was taken")
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	blocking := os.NewFile(uintptr(fds[0]), "blocking")
	defer blocking.Close()
	defer syscall.Close(fds[1])
	if _, ok := NewConn(blocking); ok {
		t.Error("a blocking socket was taken")
	}
}

func TestOpenOS(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "f")
		f, err := OpenOS(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("maildir"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if _, err := OpenOS(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640); !errors.Is(err, fs.ErrExist) {
			t.Errorf("exclusive create of an existing file: %v", err)
		}
		r, err := OpenOS(p, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if b, err := io.ReadAll(r); err != nil || string(b) != "maildir" || r.Name() != p {
			t.Errorf("read %q %v from %s", b, err, r.Name())
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %v %v", fi.Mode(), err)
		}
		if _, err := OpenOS(p+".none", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file: %v", err)
		}
	})
}
