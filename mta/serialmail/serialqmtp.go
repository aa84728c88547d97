package serialmail

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/mta/maildir"
	"github.com/quail-mta/quail/mta/netstring"
)

// SerialQMTP is serialqmtp(1): the messages are written to the server
// while its answers are read, one answer for each message in order
// (QMTP, https://cr.yp.to/proto/qmtp.txt).
func SerialQMTP(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		fmt.Fprintln(inv.Stderr, "serialqmtp: usage: serialqmtp prefix")
		return 100
	}
	r, w := connection(qmtpReadTimeout, qmtpWriteTimeout)
	return clientReport(inv, runQMTP(inv, inv.Args[1], r, w))
}

// qmtpFailure is what the writing side stopped on, worded as serialqmtp
// words its child's exit codes.
var qmtpFailure = map[int]string{
	31: "unable to write to network",
	32: "unable to read file",
	34: "unable to read input",
	35: "unable to open file",
}

func runQMTP(inv *cli.Invocation, prefix string, r io.Reader, w io.Writer) error {
	remote, _ := inv.Getenv("TCPREMOTEIP")
	sent := make(chan string, 64)
	failed := make(chan int, 1)
	go func() {
		defer close(sent)
		failed <- qmtpSend(inv.Stdin, prefix, w, sent)
	}()
	net := bufio.NewReaderSize(netReader{r}, 2048)
	out := bufio.NewWriter(inv.Stdout)
	for fn := range sent {
		n, err := netstring.ReadLength(net, 200000000)
		if err != nil {
			var d *died
			if errors.As(err, &d) {
				return d
			}
			return die("remote protocol violation")
		}
		if n == 0 {
			return die("remote protocol violation")
		}
		status, err := net.ReadByte()
		if err != nil {
			return err
		}
		if status != 'K' && status != 'Z' && status != 'D' {
			return die("remote protocol violation")
		}
		line := []byte{status}
		if remote != "" {
			line = append(line, remote+" said: "...)
		}
		for i := int64(1); i < n; i++ {
			c, err := net.ReadByte()
			if err != nil {
				return err
			}
			if len(line) < MaxResult {
				line = append(line, c)
			}
		}
		out.WriteString(fn)
		out.WriteString(printable(string(line)))
		if err := out.Flush(); err != nil {
			return die("unable to write output: %s", djberr.Text(err))
		}
		if c, err := net.ReadByte(); err != nil {
			return err
		} else if c != ',' {
			return die("remote protocol violation")
		}
	}
	if code := <-failed; code != 0 {
		return die("%s", qmtpFailure[code])
	}
	return nil
}

// qmtpSend writes each named message as a QMTP package, telling the
// reading side its name first; it returns serialqmtp's child exit code.
func qmtpSend(names io.Reader, prefix string, w io.Writer, sent chan<- string) int {
	in := bufio.NewReaderSize(names, 256)
	bw := bufio.NewWriterSize(w, 2048)
	for {
		fn, err := in.ReadString(0)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return 34
		}
		f, err := maildir.OpenMessage(fn[:len(fn)-1])
		if err != nil {
			return 35
		}
		code := qmtpOne(f, fn, prefix, bw, sent)
		f.Close()
		if code != 0 {
			return code
		}
	}
}

// qmtpOne sends one message: the file less its Return-Path and
// Delivered-To lines as the message (the netstring of "\n" and it), the
// sender, and the recipient less the prefix. A file not for the prefix
// is skipped without a result, as in the original.
func qmtpOne(f *os.File, fn, prefix string, bw *bufio.Writer, sent chan<- string) int {
	st, err := f.Stat()
	if err != nil {
		return 35
	}
	br := bufio.NewReaderSize(f, 2048)
	sender, rcpt, n, ok, err := Envelope(br)
	if err != nil {
		return 32
	}
	if !ok || !strings.HasPrefix(rcpt, prefix) || st.Size() < int64(n) {
		return 0
	}
	sent <- fn
	size := st.Size() - int64(n)
	var head []byte
	head = netstring.AppendLength(head, size+1)
	head = append(head, '\n')
	bw.Write(head)
	if _, err := io.CopyN(bw, br, size); err != nil {
		var d *died
		if errors.As(err, &d) {
			return 31
		}
		return 32
	}
	bw.WriteByte(',')
	bw.Write(netstring.Encode(sender))
	bw.Write(netstring.Encode(string(netstring.Encode(rcpt[len(prefix):]))))
	if err := bw.Flush(); err != nil {
		return 31
	}
	return 0
}
