package main

import "strings"

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
