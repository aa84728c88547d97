package serialmail

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pollable"
	"github.com/quail-mta/quail/mta/local"
	"github.com/quail-mta/quail/mta/maildir"
)

// The originals' time limits on each read from and write to the server.
const (
	smtpReadTimeout  = 81 * time.Second
	smtpWriteTimeout = 73 * time.Second
	qmtpReadTimeout  = 3600 * time.Second
	qmtpWriteTimeout = 73 * time.Second
)

// MaxResult is the longest result text the clients report.
const MaxResult = 2000

// died is a client's fatal error: its message after "name: fatal: ".
type died struct{ text string }

func (d *died) Error() string { return d.text }

func die(format string, a ...any) error { return &died{fmt.Sprintf(format, a...)} }

// deadlined puts a time limit on each read and write of a connection
// descriptor; a descriptor without deadlines (a regular file) has none.
type deadlined struct {
	f           *os.File
	read, write time.Duration
}

func (d deadlined) Read(p []byte) (int, error) {
	d.f.SetReadDeadline(time.Now().Add(d.read))
	return d.f.Read(p)
}

func (d deadlined) Write(p []byte) (int, error) {
	d.f.SetWriteDeadline(time.Now().Add(d.write))
	return d.f.Write(p)
}

// connection opens UCSPI's descriptors 6 (read) and 7 (write).
func connection(read, write time.Duration) (io.Reader, io.Writer) {
	r := pollable.File(os.NewFile(6, "fd6"), "fd6", pollable.Sockets|pollable.Pipes)
	w := pollable.File(os.NewFile(7, "fd7"), "fd7", pollable.Sockets|pollable.Pipes)
	return deadlined{r, read, write}, deadlined{w, read, write}
}

// printable is what the clients report: at most 2000 bytes, bytes
// outside 32-126 as ?, then a newline.
func printable(s string) string {
	b := []byte(s)
	if len(b) > MaxResult {
		b = b[:MaxResult]
	}
	for i, c := range b {
		if c < 32 || c > 126 {
			b[i] = '?'
		}
	}
	return string(b) + "\n"
}

// smtpClient is serialsmtp's side of one session.
type smtpClient struct {
	r          *bufio.Reader
	w          *bufio.Writer
	pipelining bool
	needRset   bool
	last       string // the last line of the last reply, without CR LF
}

var errProto = errors.New("protocol violation")

// code reads one reply and returns its code; with ehlo it notes
// PIPELINING among the lines after the first.
func (c *smtpClient) code(ehlo bool) (int, error) {
	first := true
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			var d *died
			if errors.As(err, &d) {
				return 0, err
			}
			return 0, die("%s", errProto)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if len(line) < 3 {
			return 0, die("%s", errProto)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil || line[0] < '0' || line[0] > '9' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' {
			return 0, die("%s", errProto)
		}
		c.last = line
		if ehlo && code == 250 && !first && len(line) == 14 && strings.EqualFold(line[4:], "PIPELINING") {
			c.pipelining = true
		}
		if len(line) == 3 || line[3] != '-' {
			return code, nil
		}
		first = false
	}
}

func (c *smtpClient) flush() error { return c.w.Flush() }

// netReader turns read failures into serialsmtp's messages.
type netReader struct{ r io.Reader }

func (n netReader) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if k > 0 {
		return k, nil
	}
	if err == io.EOF {
		return 0, die("network read error: end of file")
	}
	if err != nil {
		return 0, die("network read error: %s", djberr.Text(err))
	}
	return k, nil
}

type netWriter struct{ w io.Writer }

func (n netWriter) Write(p []byte) (int, error) {
	k, err := n.w.Write(p)
	if err != nil {
		return k, die("network write error: %s", djberr.Text(err))
	}
	return k, nil
}

// SerialSMTP is serialsmtp(1).
func SerialSMTP(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		fmt.Fprintln(inv.Stderr, "serialsmtp: usage: serialsmtp prefix helohost")
		return 100
	}
	r, w := connection(smtpReadTimeout, smtpWriteTimeout)
	return clientReport(inv, runSMTP(inv, inv.Args[1], inv.Args[2], r, w))
}

func clientReport(inv *cli.Invocation, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(inv.Stderr, "%s: fatal: %s\n", inv.Name, err.Error())
	return 111
}

func runSMTP(inv *cli.Invocation, prefix, helo string, r io.Reader, w io.Writer) error {
	remote, _ := inv.Getenv("TCPREMOTEIP")
	c := &smtpClient{r: bufio.NewReaderSize(netReader{r}, 2048), w: bufio.NewWriterSize(netWriter{w}, 2048)}
	quit := func() { c.w.WriteString("QUIT\r\n"); c.flush() }
	if code, err := c.code(false); err != nil {
		return err
	} else if code != 220 {
		quit()
		return die("connected but greeting failed")
	}
	c.w.WriteString("EHLO " + helo + "\r\n")
	if err := c.flush(); err != nil {
		return err
	}
	code, err := c.code(true)
	if err != nil {
		return err
	}
	if code != 250 {
		c.w.WriteString("HELO " + helo + "\r\n")
		if err := c.flush(); err != nil {
			return err
		}
		if code, err := c.code(false); err != nil {
			return err
		} else if code != 250 {
			quit()
			return die("connected but my name was rejected")
		}
	}
	out := bufio.NewWriter(inv.Stdout)
	names := bufio.NewReaderSize(inv.Stdin, 256)
	for {
		fn, err := names.ReadString(0)
		if err == io.EOF {
			break
		}
		if err != nil {
			return die("unable to read input: %s", djberr.Text(err))
		}
		f, err := maildir.OpenMessage(fn[:len(fn)-1])
		if err != nil {
			return die("unable to open %s: %s", fn[:len(fn)-1], djberr.Text(err))
		}
		err = c.message(f, fn, prefix, remote, out)
		f.Close()
		if err != nil {
			return err
		}
		c.needRset = true
	}
	quit()
	return nil
}

// message sends one file and reports its result.
func (c *smtpClient) message(f *os.File, fn, prefix, remote string, out *bufio.Writer) error {
	br := bufio.NewReaderSize(f, 4096)
	sender, rcpt, _, ok, err := Envelope(br)
	if err != nil {
		return die("unable to read file: %s", djberr.Text(err))
	}
	if !ok || !strings.HasPrefix(rcpt, prefix) {
		return nil
	}
	result := func(code int) error {
		letter := "K"
		switch {
		case code >= 500:
			letter = "D"
		case code >= 400:
			letter = "Z"
		}
		text := c.last
		if remote != "" {
			text = remote + " said: " + text
		}
		out.WriteString(fn)
		out.WriteString(printable(letter + text))
		if err := out.Flush(); err != nil {
			return die("unable to write output: %s", djberr.Text(err))
		}
		return nil
	}
	step := func(line string) (int, bool, error) {
		c.w.WriteString(line)
		if c.pipelining {
			return 0, true, nil
		}
		if err := c.flush(); err != nil {
			return 0, false, err
		}
		code, err := c.code(false)
		return code, code < 400, err
	}
	if c.needRset {
		if code, ok, err := step("RSET\r\n"); err != nil {
			return err
		} else if !ok && !c.pipelining {
			_ = code
			return die("%s", errProto)
		}
	}
	if code, ok, err := step("MAIL FROM:<" + local.QuoteAddress(sender) + ">\r\n"); err != nil || !ok {
		if err != nil {
			return err
		}
		return result(code)
	}
	if code, ok, err := step("RCPT TO:<" + local.QuoteAddress(rcpt[len(prefix):]) + ">\r\n"); err != nil || !ok {
		if err != nil {
			return err
		}
		return result(code)
	}
	c.w.WriteString("DATA\r\n")
	if err := c.flush(); err != nil {
		return err
	}
	if c.pipelining {
		if c.needRset {
			if code, err := c.code(false); err != nil {
				return err
			} else if code >= 400 {
				return die("%s", errProto)
			}
		}
		code, err := c.code(false) // MAIL
		if err != nil {
			return err
		}
		if code >= 400 {
			if err := result(code); err != nil {
				return err
			}
			for i := 0; i < 2; i++ { // RCPT and DATA must fail too
				if code, err := c.code(false); err != nil {
					return err
				} else if code < 400 {
					return die("%s", errProto)
				}
			}
			return nil
		}
		if code, err = c.code(false); err != nil { // RCPT
			return err
		}
		if code >= 400 {
			if err := result(code); err != nil {
				return err
			}
			if code, err := c.code(false); err != nil {
				return err
			} else if code < 400 {
				return die("%s", errProto)
			}
			return nil
		}
	}
	code, err := c.code(false) // DATA
	if err != nil {
		return err
	}
	if code >= 400 {
		return result(code)
	}
	if err := c.blast(br); err != nil {
		return err
	}
	code, err = c.code(false)
	if err != nil {
		return err
	}
	return result(code)
}

// blast sends the rest of the message, dot-stuffed, lines ended by CR
// LF, then the final dot.
func (c *smtpClient) blast(br *bufio.Reader) error {
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			c.w.WriteString(".\r\n")
			return c.flush()
		}
		if err == io.EOF {
			return die("SMTP cannot transfer messages with partial final lines")
		}
		if err != nil {
			return die("unable to read file: %s", djberr.Text(err))
		}
		line = line[:len(line)-1]
		if strings.HasPrefix(line, ".") {
			c.w.WriteByte('.')
		}
		c.w.WriteString(line)
		if _, err := c.w.WriteString("\r\n"); err != nil {
			return err
		}
	}
}
