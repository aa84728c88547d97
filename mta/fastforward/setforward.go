package fastforward

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// CompileForward reads setforward's instruction format and adds its
// records: "target: command, command;" with # comments to the end of the
// line, blanks (space, tab, newline) ignored, and a backslash taking the
// next byte into a target or command. A command starting with ? is the
// target's owner (a record of its own), | or ! a program, . or / a
// mailing list file, anything else a recipient (& added where missing,
// at most 800 bytes).
func CompileForward(r io.Reader, add func(key, value []byte) error) error {
	br := bufio.NewReaderSize(r, 64)
	var target, command, instr []byte
	inCommands := false
	doit := func(prefix string, data []byte) error {
		return add(lower(prefix+string(target)), data)
	}
	getc := func() (byte, bool, error) {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, &ReadError{err}
		}
		return c, true, nil
	}
	for {
		c, ok, err := getc()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch c {
		case '#':
			for c != '\n' {
				if c, ok, err = getc(); err != nil {
					return err
				} else if !ok {
					goto eof
				}
			}
			continue
		case ' ', '\n', '\t':
			continue
		case ':':
			if inCommands {
				return fail(100, "double colons are not permitted")
			}
			inCommands = true
			continue
		case ',', ';':
			if !inCommands {
				return fail(100, "commas are not permitted before colons")
			}
			if len(command) > 0 {
				switch command[0] {
				case '?':
					if err := doit("?", command[1:]); err != nil {
						return err
					}
				case '|', '!', '.', '/':
					instr = append(append(instr, command...), 0)
				default:
					if len(command) > MaxAddress {
						return fail(100, "addresses over 800 bytes are not permitted")
					}
					if command[0] != '&' {
						instr = append(instr, '&')
					}
					instr = append(append(instr, command...), 0)
				}
			}
			command = command[:0]
			if c == ';' {
				if len(instr) > 0 {
					if err := doit(":", instr); err != nil {
						return err
					}
				}
				target, instr, inCommands = target[:0], nil, false
			}
			continue
		case '\\':
			if c, ok, err = getc(); err != nil {
				return err
			} else if !ok {
				goto eof
			}
		}
		if c == 0 {
			return fail(100, "NUL bytes are not permitted")
		}
		if inCommands {
			command = append(command, c)
		} else {
			target = append(target, c)
		}
	}
eof:
	if inCommands || len(target) > 0 {
		return fail(100, "final instruction must end with semicolon")
	}
	return nil
}

// SetForward is setforward(1): instructions on stdin to the database
// cdb, written through tmp.
func SetForward(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.Usage("data.cdb data.tmp")
	}
	cdb, tmp := inv.Args[1], inv.Args[2]
	return report(inv, writeCDB(cdb, tmp, func(add func(k, v []byte) error) error {
		err := CompileForward(inv.Stdin, add)
		var re *ReadError
		if errors.As(err, &re) {
			return fail(111, "unable to read input: %s", djberr.Text(re.Err))
		}
		return err
	}))
}

// printSafe is printforward's quoting: a backslash before every byte up
// to space, and before , : ; \ and #. A byte of 128 and above counts as
// negative there (C's signed char) and is quoted too.
func printSafe(w *bufio.Writer, b []byte) {
	for _, c := range b {
		if c <= 32 || c >= 128 || c == ',' || c == ':' || c == ';' || c == '\\' || c == '#' {
			w.WriteByte('\\')
		}
		w.WriteByte(c)
	}
}

// PrintForwardTo writes the records of the database read from r as
// setforward instructions, in the order they are stored.
func PrintForwardTo(w *bufio.Writer, r io.Reader) error {
	br := r
	bad := fail(100, "bad database format")
	var head [2048]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return readOrBad(err, bad)
	}
	eod := binary.LittleEndian.Uint32(head[:4])
	pos := uint32(2048)
	for pos < eod {
		if eod-pos < 8 {
			return bad
		}
		pos += 8
		var lens [8]byte
		if _, err := io.ReadFull(br, lens[:]); err != nil {
			return readOrBad(err, bad)
		}
		klen, dlen := binary.LittleEndian.Uint32(lens[:4]), binary.LittleEndian.Uint32(lens[4:])
		if eod-pos < klen {
			return bad
		}
		pos += klen
		key, err := readN(br, klen)
		if err != nil {
			return readOrBad(err, bad)
		}
		if eod-pos < dlen {
			return bad
		}
		pos += dlen
		data, err := readN(br, dlen)
		if err != nil {
			return readOrBad(err, bad)
		}
		if len(key) == 0 {
			return bad
		}
		switch key[0] {
		case '?':
			printSafe(w, key[1:])
			w.WriteString(": ?")
			printSafe(w, data)
			w.WriteString(";\n")
		case ':':
			printSafe(w, key[1:])
			w.WriteString(":\n")
			i := 0
			for j := 0; j < len(data); j++ {
				if data[j] != 0 {
					continue
				}
				switch data[i] {
				case '.', '/', '|', '!':
				case '&':
					if j-i >= 900 {
						return bad
					}
				default:
					return bad
				}
				w.WriteString(", ")
				printSafe(w, data[i:j])
				w.WriteString("\n")
				i = j + 1
			}
			if i != len(data) {
				return bad
			}
			w.WriteString(";\n")
		default:
			return bad
		}
	}
	return nil
}

// readN reads n bytes, growing the buffer as they come so that a length
// that lies costs no more memory than the input holds.
func readN(r io.Reader, n uint32) ([]byte, error) {
	var b []byte
	if n < 64<<10 {
		b = make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf [64 << 10]byte
	for n > 0 {
		k := uint32(len(buf))
		if n < k {
			k = n
		}
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return nil, err
		}
		b = append(b, buf[:k]...)
		n -= k
	}
	return b, nil
}

func readOrBad(err error, bad *Failure) error {
	var we *writeError
	if errors.As(err, &we) {
		return fail(111, "unable to write output: %s", djberr.Text(we.err))
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return bad
	}
	return fail(111, "unable to read input: %s", djberr.Text(err))
}

// PrintForward is printforward(1). Its diagnostics begin
// "printmaillist: fatal: ", as fastforward 0.51's printforward.c names
// itself.
func PrintForward(inv *cli.Invocation) int {
	named := *inv
	named.Name = "printmaillist"
	inv = &named
	w := bufio.NewWriterSize(inv.Stdout, smallBuf)
	err := PrintForwardTo(w, &smallIn{r: inv.Stdin, w: w})
	if err == nil {
		err = flushOut(w)
	}
	return report(inv, err)
}

// smallBuf is the size of substdio's subfdinsmall and subfdoutsmall,
// which printforward and printmaillist read and write through: output
// goes out when 256 bytes are buffered, and whenever more input is read
// (subfd_readsmall flushes first). What is still buffered when they fail
// is lost. Ours do the same, so that a broken input gives the same
// output to the byte.
const smallBuf = 256

// smallIn is substdio_get on subfdinsmall: a 256-byte buffer refilled
// only once empty, each refill first flushing the output
// (subfd_readsmall).
type smallIn struct {
	r    io.Reader
	w    interface{ Flush() error }
	buf  [smallBuf]byte
	p, n int
}

func (s *smallIn) fill() error {
	if s.p < s.n {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return &writeError{err}
	}
	n, err := s.r.Read(s.buf[:])
	s.p, s.n = 0, n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// Read hands out what is buffered, refilling when empty.
func (s *smallIn) Read(p []byte) (int, error) {
	if err := s.fill(); err != nil {
		return 0, err
	}
	n := copy(p, s.buf[s.p:s.n])
	s.p += n
	return n, nil
}

// ReadBytes is getln: bytes up to and including delim; at the end of the
// input, what there was and io.EOF.
func (s *smallIn) ReadBytes(delim byte) ([]byte, error) {
	var line []byte
	for {
		if err := s.fill(); err != nil {
			return line, err
		}
		if i := bytes.IndexByte(s.buf[s.p:s.n], delim); i >= 0 {
			line = append(line, s.buf[s.p:s.p+i+1]...)
			s.p += i + 1
			return line, nil
		}
		line = append(line, s.buf[s.p:s.n]...)
		s.p = s.n
	}
}

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

func flushOut(w *bufio.Writer) error {
	if err := w.Flush(); err != nil {
		return fail(111, "unable to write output: %s", djberr.Text(err))
	}
	return nil
}

// ignoreUmask is for programs whose output is always world-readable.
func ignoreUmask() { syscall.Umask(0o33) }
