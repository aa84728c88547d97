package ident

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// The cases are replies Debian's tcpserver was seen to turn into these
// TCPREMOTEINFO values.
func TestAnswer(t *testing.T) {
	for _, tc := range []struct{ line, want, why string }{
		{"6191 , 23 : USERID : UNIX : joe\r", "joe", "the usual reply"},
		{"6191 , 23 : USERID : UNIX :  joe smith \r", "joesmith", "spaces are removed everywhere in the id"},
		{"6191,23:USERID:UNIX:a:b", "a:b", "colons after the third are kept"},
		{"6191 , 23 : ERROR : NO-USER\r", "", "an error reply gives the empty string"},
		{"6191 , 23 : USERID : OTHER :\tj\ro\xe9%e\x01x\r", "jo\xe9%e\x01x", "tabs and CRs go; other bytes stay (the log cleans them)"},
		{"6191 , 23 : USERID : UNIX : jo\x00e", "jo", "a NUL ends the answer"},
		{"", "", "empty line"},
	} {
		if got := Answer(tc.line); got != tc.want {
			t.Errorf("%s: Answer(%q) = %q, want %q", tc.why, tc.line, got, tc.want)
		}
	}
}

func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"1 , 2 : USERID : UNIX : joe\r", ":::", "::::\x00", "a:b:c:d e\tf\rg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		a := Answer(line)
		if len(a) > len(line) || strings.ContainsAny(a, " \t\r\x00") {
			t.Fatalf("Answer(%q) = %q", line, a)
		}
	})
}

// TestQuery runs a fake IDENT server on port 113 of a spare loopback
// address and checks the query it receives and the answers Query gives,
// including a server that closes without a full line and one that stalls.
func TestQuery(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("port 113 needs root")
	}
	var l net.Listener
	var ip string
	for range 20 {
		ip = fmt.Sprintf("127.%d.%d.%d", 100+rand.Intn(100), rand.Intn(256), 1+rand.Intn(250))
		var err error
		if l, err = net.Listen("tcp", ip+":113"); err == nil {
			break
		}
	}
	if l == nil {
		t.Skip("no free loopback address for port 113")
	}
	defer l.Close()
	replies := make(chan string, 1)
	queries := make(chan string, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 100)
			n, _ := c.Read(buf)
			queries <- string(buf[:n])
			r := <-replies
			if r == "stall" {
				time.Sleep(2 * time.Second)
			} else {
				c.Write([]byte(r))
			}
			c.Close()
		}
	}()
	local := netip.MustParseAddrPort(ip + ":1234")
	remote := netip.MustParseAddrPort(ip + ":5678")
	for _, tc := range []struct {
		reply, want string
		ok          bool
	}{
		{"5678 , 1234 : USERID : UNIX : joe\r\n", "joe", true},
		{"5678 , 1234 : USERID : UNIX : joe", "", false},
		{"stall", "", false},
	} {
		replies <- tc.reply
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		got, err := Query(ctx, local, remote)
		cancel()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("reply %q: got %q, %v; want %q ok=%v", tc.reply, got, err, tc.want, tc.ok)
		}
		if q := <-queries; q != "5678 , 1234\r\n" {
			t.Errorf("query sent: %q", q)
		}
	}
}
