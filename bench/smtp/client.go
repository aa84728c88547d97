package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"
)

// message is a message of about size bytes in SMTP's DATA form (CRLF
// lines, no line starting with a dot), without the final ".".
func message(size int) []byte {
	var b strings.Builder
	b.WriteString("From: lat@remote.test\r\nTo: bench@localhost\r\nSubject: latency\r\n\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return []byte(b.String())
}

// sendOne delivers one message over a fresh connection and returns when
// the server's reply to the end of DATA arrived.
func sendOne(addr, from, to string, body []byte) (time.Time, error) {
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
		return expect(r, want, send)
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
	if err := expect(r, '2', "end of DATA"); err != nil {
		return time.Time{}, err
	}
	done := time.Now()
	step("QUIT\r\n", '2')
	return done, nil
}

// expect reads one reply, continuation lines included, and checks its
// first digit.
func expect(r *bufio.Reader, want byte, after string) error {
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
