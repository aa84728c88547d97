// Package smtpsend is the benchmarks' own small SMTP client: one message
// over one connection, timed to the reply to its end of DATA.
package smtpsend

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"
)

// One delivers one message over a fresh connection and returns when the
// server's reply to the end of DATA arrived. body is in DATA form (CRLF
// lines, dots stuffed) without the final ".".
func One(addr, from, to string, body []byte) (time.Time, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return time.Time{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	step := func(send string, want byte) error {
		if send != "" {
			if _, err := c.Write([]byte(send)); err != nil {
				return err
			}
		}
		return Expect(r, want, send)
	}
	for _, s := range []struct {
		send string
		want byte
	}{
		{"", '2'},
		{"HELO client.test\r\n", '2'},
		{"MAIL FROM:<" + from + ">\r\n", '2'},
		{"RCPT TO:<" + to + ">\r\n", '2'},
		{"DATA\r\n", '3'},
	} {
		if err := step(s.send, s.want); err != nil {
			return time.Time{}, err
		}
	}
	if _, err := c.Write(append(append([]byte{}, body...), ".\r\n"...)); err != nil {
		return time.Time{}, err
	}
	if err := Expect(r, '2', "end of DATA"); err != nil {
		return time.Time{}, err
	}
	done := time.Now()
	step("QUIT\r\n", '2')
	return done, nil
}

// Expect reads one reply, continuation lines included, and checks its
// first digit.
func Expect(r *bufio.Reader, want byte, after string) error {
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reply to %q: %w", strings.TrimSpace(after), err)
		}
		if len(l) < 4 {
			return fmt.Errorf("reply to %q: short line %q", strings.TrimSpace(after), l)
		}
		if l[3] == '-' {
			continue
		}
		if l[0] != want {
			return fmt.Errorf("reply to %q: %q", strings.TrimSpace(after), strings.TrimSpace(l))
		}
		return nil
	}
}
