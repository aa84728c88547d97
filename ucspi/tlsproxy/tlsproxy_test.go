package tlsproxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/ucspi/ucspitls"
)

func serverConfig(t *testing.T) *tls.Config {
	t.Helper()
	return &tls.Config{Certificates: []tls.Certificate{testbin.NewCert(t, []string{"mx.test"}).TLS()}}
}

func TestImmediate(t *testing.T) {
	srv, cli := testbin.TCPPair(t)
	done := make(chan *Session, 1)
	go func() {
		s, err := Immediate(srv, Options{Config: serverConfig(t), Server: true, Env: true, HandshakeTimeout: 5 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	tc := tls.Client(cli, &tls.Config{InsecureSkipVerify: true, ServerName: "mx.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	s := <-done
	if s == nil {
		t.FailNow()
	}
	child := s.Child()
	if !strings.Contains(strings.Join(child.Env, "\n"), "SSL_PROTOCOL=TLSv1.3") {
		t.Errorf("env %q", child.Env)
	}
	tc.Write([]byte("EHLO x\r\n"))
	buf := make([]byte, 8)
	if _, err := io.ReadFull(child.Stdin, buf); err != nil || string(buf) != "EHLO x\r\n" {
		t.Fatalf("program read %q, %v", buf, err)
	}
	child.Stdout.Write([]byte("250 ok\r\n"))
	s.CloseChildSide() // the program exits: its end closes
	got, err := io.ReadAll(tc)
	if string(got) != "250 ok\r\n" {
		t.Fatalf("client read %q, %v", got, err)
	}
	if err := s.Wait(); err != nil {
		t.Errorf("session ended with %v", err)
	}
}

func TestImmediateGarbageIsDropped(t *testing.T) {
	srv, cli := testbin.TCPPair(t)
	cli.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	_, err := Immediate(srv, Options{Config: serverConfig(t), Server: true, HandshakeTimeout: 5 * time.Second})
	if err == nil {
		t.Fatal("a client speaking HTTP got a TLS session")
	}
}

func TestDelayedStartTLS(t *testing.T) {
	srv, cli := testbin.TCPPair(t)
	raw, err := srv.(*net.TCPConn).File() // the program's descriptor
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ours, _ := srv.(*net.TCPConn).File()
	srv.Close()
	s, err := Delayed(ours, Options{Config: serverConfig(t), Server: true, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	child := s.Child()
	if strings.Join(child.Env, " ") != "SSLCTLFD=3 SSLREADFD=4 SSLWRITEFD=5" || len(child.Extra) != 3 || child.Stdin != nil {
		t.Fatalf("child %+v", child)
	}
	ctl, rd, wr := child.Extra[0], child.Extra[1], child.Extra[2]

	// The program greets in cleartext, then asks for TLS with 'Y'.
	programErr := make(chan error, 1)
	go func() {
		raw.Write([]byte("220 ready for TLS\r\n"))
		ctl.Write([]byte{ucspitls.StartTLSWithEnv})
		env, err := ucspitls.ReadEnv(bufio.NewReader(ctl))
		if err != nil {
			programErr <- err
			return
		}
		if !strings.Contains(strings.Join(env, " "), "SSL_CIPHER=") {
			programErr <- io.ErrUnexpectedEOF
			return
		}
		line, err := bufio.NewReader(rd).ReadString('\n')
		if err != nil || line != "EHLO secret\r\n" {
			programErr <- io.ErrUnexpectedEOF
			return
		}
		wr.Write([]byte("250 hello over TLS\r\n"))
		wr.Close()
		ctl.Close()
		rd.Close()
		raw.Close()
		programErr <- nil
	}()
	br := bufio.NewReader(cli)
	greet, _ := br.ReadString('\n')
	if greet != "220 ready for TLS\r\n" {
		t.Fatalf("cleartext greeting %q", greet)
	}
	tc := tls.Client(cli, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("EHLO secret\r\n"))
	reply, _ := io.ReadAll(tc)
	if string(reply) != "250 hello over TLS\r\n" {
		t.Fatalf("reply over TLS %q", reply)
	}
	if err := <-programErr; err != nil {
		t.Fatal(err)
	}
	s.ProgramExited()
	if err := s.Wait(); err != nil {
		t.Errorf("session ended with %v", err)
	}
}

func TestDelayedWithoutTLS(t *testing.T) {
	srv, cli := testbin.TCPPair(t)
	raw, _ := srv.(*net.TCPConn).File()
	ours, _ := srv.(*net.TCPConn).File()
	srv.Close()
	s, err := Delayed(ours, Options{Config: serverConfig(t), Server: true})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write([]byte("221 bye\r\n"))
	raw.Close()
	s.CloseChildSide() // the program exits without ever asking for TLS
	got, _ := io.ReadAll(cli)
	if string(got) != "221 bye\r\n" {
		t.Fatalf("got %q", got)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestImmediateHalfClose: a program that shuts down only its writing (as
// mconnect-io does at the end of its input) makes the peer see the end of
// the data, and still reads what the peer sends afterwards.
func TestImmediateHalfClose(t *testing.T) {
	srv, cli := testbin.TCPPair(t)
	done := make(chan *Session, 1)
	go func() {
		s, err := Immediate(srv, Options{Config: serverConfig(t), Server: true, HandshakeTimeout: 5 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	tc := tls.Client(cli, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	s := <-done
	if s == nil {
		t.FailNow()
	}
	child := s.Child()
	child.Stdout.Write([]byte("QUIT\r\n"))
	if err := syscall.Shutdown(int(child.Stdout.Fd()), syscall.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(tc); string(got) != "QUIT\r\n" || err != nil {
		t.Fatalf("peer read %q, %v", got, err)
	}
	tc.Write([]byte("221 bye\r\n"))
	tc.Close()
	got, err := io.ReadAll(child.Stdin)
	if string(got) != "221 bye\r\n" {
		t.Fatalf("program read %q, %v after its half-close", got, err)
	}
	s.CloseChildSide()
	if err := s.Wait(); err != nil {
		t.Errorf("session ended with %v", err)
	}
}
