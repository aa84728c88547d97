package client

import (
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/stdio"
)

// Mconnect is mconnect(1): tcpclient -RHl0 -- HOST PORT mconnect-io, with
// host 0 and port 25 when not given. mconnect-io is taken from the
// directory of the running program when it is there, else from $PATH.
func Mconnect(inv *cli.Invocation) int {
	host, port := "0", "25"
	if len(inv.Args) > 1 {
		host = inv.Args[1]
	}
	if len(inv.Args) > 2 {
		port = inv.Args[2]
	}
	helper := "mconnect-io"
	if exe, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(exe), helper); isExecutable(p) {
			helper = p
		}
	}
	sub := *inv
	sub.Name = "tcpclient" // the original is a script exec'ing tcpclient
	sub.Args = []string{"tcpclient", "-RHl0", "--", host, port, helper}
	return Main(&sub)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// MconnectIO is mconnect-io: it copies what the server sends (descriptor
// 6) to standard output, and standard input to the server (descriptor 7)
// with every LF sent as CRLF. At the end of standard input it half-closes
// the connection and keeps printing until the server closes.
func MconnectIO(inv *cli.Invocation) int {
	net := os.NewFile(ReadFD, "network input")
	out := os.NewFile(WriteFD, "network output")
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(inv.Stdout, net)
		done <- err
	}()
	go func() {
		buf := make([]byte, 4096)
		var conv []byte
		for {
			n, err := inv.Stdin.Read(buf)
			if n > 0 {
				conv = stdio.AddCR(conv[:0], buf[:n])
				if _, werr := out.Write(conv); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		syscall.Shutdown(WriteFD, syscall.SHUT_WR)
	}()
	if err := <-done; err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to copy from network: %v", err)
	}
	return cli.ExitOK
}
