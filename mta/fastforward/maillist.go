package fastforward

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/token822"
)

// writeList writes a binary mailing list through tmp as setmaillist and
// newinclude do: created (truncated), filled, fsync'd, closed, renamed.
func writeList(bin, tmp string, fill func(w *bufio.Writer) error) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fail(111, "unable to create %s: %s", tmp, djberr.Text(err))
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1024)
	if err := fill(w); err != nil {
		var ff *Failure
		if errors.As(err, &ff) {
			// What the buffer had already passed on stays in tmp, as in
			// the original; the list itself is untouched.
			return ff
		}
		return fail(111, "unable to write to %s: %s", tmp, djberr.Text(err))
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return fail(111, "unable to write to %s: %s", tmp, djberr.Text(err))
	}
	return rename(tmp, bin)
}

// CompileMaillist reads setmaillist's format: one entry a line, spaces,
// tabs and newlines at the end dropped, blank lines and # lines skipped;
// a line starting with . or / is a list file, anything else a recipient
// (& added where missing, at most 800 bytes).
func CompileMaillist(r io.Reader, w *bufio.Writer) error {
	br := bufio.NewReaderSize(r, 64)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return &ReadError{err}
		}
		match := err == nil
		for len(line) > 0 {
			c := line[len(line)-1]
			if c != '\n' && c != ' ' && c != '\t' {
				break
			}
			line = line[:len(line)-1]
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return fail(111, "NUL in input")
		}
		if len(line) > 0 && line[0] != '#' {
			if line[0] != '.' && line[0] != '/' {
				if len(line) > MaxAddress {
					return fail(111, "addresses must be under 800 bytes")
				}
				if line[0] != '&' {
					w.WriteByte('&')
				}
			}
			w.Write(line)
			if err := w.WriteByte(0); err != nil {
				return err
			}
		}
		if !match {
			return nil
		}
	}
}

// SetMaillist is setmaillist(1): lines on stdin to the binary list bin,
// through tmp, always world-readable.
func SetMaillist(inv *cli.Invocation) int {
	syscall.Umask(0o33)
	if len(inv.Args) < 3 {
		return inv.Usage("list.bin list.tmp")
	}
	return report(inv, writeList(inv.Args[1], inv.Args[2], func(w *bufio.Writer) error {
		err := CompileMaillist(inv.Stdin, w)
		var re *ReadError
		if errors.As(err, &re) {
			return fail(111, "unable to read input: %s", djberr.Text(re.Err))
		}
		return err
	}))
}

// putWriter is substdio_put over a buffer of size bytes: a piece that
// does not fit in what is left of the buffer flushes it first, and one
// larger than the whole buffer goes out directly in pieces of up to
// 8192 bytes, so output leaves in whole pieces, as the original's does.
type putWriter struct {
	w    io.Writer
	buf  []byte
	size int
}

func (p *putWriter) put(b []byte) error {
	if len(b) > p.size-len(p.buf) {
		if err := p.Flush(); err != nil {
			return err
		}
		for len(b) > p.size {
			n := min(len(b), 8192)
			if _, err := p.w.Write(b[:n]); err != nil {
				return err
			}
			b = b[n:]
		}
	}
	p.buf = append(p.buf, b...)
	return nil
}

// Flush writes out what is buffered.
func (p *putWriter) Flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	_, err := p.w.Write(p.buf)
	p.buf = p.buf[:0]
	return err
}

// PrintMaillistTo writes a binary mailing list as setmaillist lines.
// Each entry must be a list file (. or /) or a recipient (&, under 900
// bytes with its NUL), without a newline, and end with NUL.
func PrintMaillistTo(w *putWriter, br *smallIn) error {
	bad := fail(100, "bad mailing list format")
	for {
		entry, err := br.ReadBytes(0)
		var we *writeError
		if errors.As(err, &we) {
			return fail(111, "unable to write output: %s", djberr.Text(we.err))
		}
		if err != nil && err != io.EOF {
			return fail(111, "unable to read input: %s", djberr.Text(err))
		}
		if err == io.EOF {
			if len(entry) > 0 {
				return bad
			}
			return nil
		}
		text := entry[:len(entry)-1]
		if bytes.IndexByte(text, '\n') >= 0 {
			return bad
		}
		switch {
		case len(text) > 0 && (text[0] == '.' || text[0] == '/'):
		case len(text) > 0 && text[0] == '&':
			if len(entry) > 900 {
				return bad
			}
		default:
			return bad
		}
		if err := w.put(text); err != nil {
			return fail(111, "unable to write output: %s", djberr.Text(err))
		}
		if err := w.put([]byte("\n")); err != nil {
			return fail(111, "unable to write output: %s", djberr.Text(err))
		}
	}
}

// PrintMaillist is printmaillist(1).
func PrintMaillist(inv *cli.Invocation) int {
	w := &putWriter{w: inv.Stdout, size: smallBuf}
	err := PrintMaillistTo(w, &smallIn{r: inv.Stdin, w: w})
	if err == nil {
		if ferr := w.Flush(); ferr != nil {
			err = fail(111, "unable to write output: %s", djberr.Text(ferr))
		}
	}
	return report(inv, err)
}

// CompileInclude reads a sendmail :include: file as newinclude does:
// each line not starting with # an RFC 822 address list (rightmost
// address first), reading stopping at the first empty line; addresses
// are completed with the controls and further :include: files become
// list files. Programs and files are refused.
func CompileInclude(r io.Reader, d Defaults, w *bufio.Writer) error {
	br := bufio.NewReaderSize(r, 1024)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return &ReadError{err}
		}
		if len(line) == 0 {
			return nil
		}
		if line[0] != '#' {
			if perr := includeLine(line, d, w); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

func includeLine(line []byte, d Defaults, w *bufio.Writer) error {
	parseErr := fail(111, "unable to parse this line: %s", line)
	toks, ok := token822.Parse(line)
	if !ok {
		return parseErr
	}
	err := token822.List(toks, true, func(it token822.Item) error {
		text := it.Text()
		if it.Include {
			switch {
			case len(text) == 0:
				return fail(111, "empty :include: filenames not permitted")
			case bytes.IndexByte(text, '\n') >= 0:
				return fail(111, "newlines not permitted in :include: filenames")
			case bytes.IndexByte(text, 0) >= 0:
				return fail(111, "NUL not permitted in :include: filenames")
			}
			if text[0] != '.' && text[0] != '/' {
				w.WriteString("./")
			}
			w.Write(text)
			return w.WriteByte(0)
		}
		if len(text) == 0 {
			return nil
		}
		hasAt := it.HasAt()
		if !hasAt && text[0] == '/' {
			return fail(111, "file delivery %s not supported", text)
		}
		if !hasAt && text[0] == '|' {
			return fail(111, "program delivery %s not supported", text)
		}
		a := string(text)
		if !hasAt {
			a += "@" + d.Host
		}
		a = d.Complete(a)
		switch {
		case bytes.IndexByte([]byte(a), '\n') >= 0:
			return fail(111, "newlines not permitted in recipient addresses")
		case bytes.IndexByte([]byte(a), 0) >= 0:
			return fail(111, "NUL not permitted in recipient addresses")
		case len(a) > MaxAddress:
			return fail(111, "addresses must be under 800 bytes")
		case a[len(a)-1] == ' ' || a[len(a)-1] == '\t':
			return fail(111, "spaces and tabs not permitted at ends of addresses")
		}
		w.WriteByte('&')
		w.WriteString(a)
		return w.WriteByte(0)
	})
	if errors.Is(err, token822.ErrParse) {
		return parseErr
	}
	return err
}

// NewInclude is newinclude(1): list to list.bin through list.tmp, always
// world-readable.
func NewInclude(inv *cli.Invocation) int {
	syscall.Umask(0o33)
	d, err := ReadDefaults(qmailhome.Dir(inv.Getenv))
	if err != nil {
		return report(inv, err)
	}
	if len(inv.Args) < 2 {
		return inv.Usage("list")
	}
	list := inv.Args[1]
	f, err := os.Open(list)
	if err != nil {
		return report(inv, fail(111, "unable to read %s: %s", list, djberr.Text(err)))
	}
	defer f.Close()
	tmp := list + ".tmp"
	// newinclude words a failure to create its temporary file as one to
	// write to it.
	if t, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
		return report(inv, fail(111, "unable to write to %s: %s", tmp, djberr.Text(err)))
	} else {
		t.Close()
	}
	return report(inv, writeList(list+".bin", tmp, func(w *bufio.Writer) error {
		err := CompileInclude(f, d, w)
		var re *ReadError
		if errors.As(err, &re) {
			return fail(111, "unable to read %s: %s", list, djberr.Text(re.Err))
		}
		return err
	}))
}
