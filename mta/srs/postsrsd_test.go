package srs

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// postsrsd is Debian's postsrsd 1.10 (libsrs2's code) on two loopback
// ports: its forward and reverse tcp_table lookups.
type postsrsd struct {
	forward, reverse string
}

func startPostsrsd(t *testing.T, secrets []string, args ...string) *postsrsd {
	t.Helper()
	bin := testbin.Peer(t, "postsrsd")
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(strings.Join(secrets, "\n")+"\n"), 0600); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		fwd, rev := freePort(t), freePort(t)
		argv := append([]string{"-s" + secretFile, "-l127.0.0.1", "-f" + fwd, "-r" + rev}, args...)
		cmd := exec.Command(bin, argv...)
		out := &testbin.Output{}
		cmd.Stderr = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		up := testbin.Eventually(5*time.Second, func() bool {
			select {
			case <-done:
				return true
			default:
			}
			c, err := net.Dial("tcp", "127.0.0.1:"+rev)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		select {
		case <-done:
			// A port taken between our probe and its bind: again.
			t.Logf("postsrsd exited: %s", out.String())
			continue
		default:
		}
		if !up {
			cmd.Process.Kill()
			t.Fatalf("postsrsd did not start: %s", out.String())
		}
		t.Cleanup(func() { cmd.Process.Kill(); <-done })
		return &postsrsd{forward: "127.0.0.1:" + fwd, reverse: "127.0.0.1:" + rev}
	}
	t.Fatal("postsrsd could not bind its ports")
	return nil
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// lookup asks one of postsrsd's tables: "get KEY" gets "200 VALUE" or
// "500 REASON", both %-encoded (Postfix's tcp_table(5)).
func lookup(t *testing.T, addr, key string) (code int, value string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "get %s\n", strings.ReplaceAll(url.PathEscape(key), "+", "%2B"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("postsrsd: %v", err)
	}
	code, _ = strconv.Atoi(line[:3])
	value, err = url.PathUnescape(strings.TrimSpace(line[4:]))
	if err != nil {
		t.Fatalf("postsrsd reply %q: %v", line, err)
	}
	return code, value
}

// TestPostsrsdMakesTheSameAddresses: for each sender, postsrsd and the
// codec rewrite it into the same bytes, and each reverses what the other
// made.
func TestPostsrsdMakesTheSameAddresses(t *testing.T) {
	for _, sep := range []byte{'=', '+', '-'} {
		t.Run(string(sep), func(t *testing.T) {
			secrets := []string{"quail test secret", "an older secret"}
			p := startPostsrsd(t, secrets, "-dfwd.example", "-a"+string(sep))
			c := &Codec{Secrets: secrets, Separator: sep}
			senders := []string{
				"user@orig.example",
				"Mixed.Case@Orig.Example",
				"list-bounces+x=y@lists.example",                   // '=' and '+' in the local part
				"SRS0=abcd=AB=elsewhere.example=who@relay.example", // already SRS0: SRS1 (the hash is not checked)
				"srs1=WXYZ=first.example==HHHH=TT=orig.example=u@second.example",
				"user@fwd.example", // the forwarder's own domain: unchanged
			}
			for _, s := range senders {
				day := Timestamp(time.Now())
				code, theirs := lookup(t, p.forward, s)
				ours, err := c.Forward(s, "fwd.example", time.Now())
				if Timestamp(time.Now()) != day {
					t.Skip("the day changed during the comparison")
				}
				if code != 200 || err != nil || ours != theirs {
					t.Errorf("forward %s: postsrsd %d %q, ours %q %v", s, code, theirs, ours, err)
					continue
				}
				if ours == s {
					continue
				}
				want, err := c.Reverse(ours, time.Now())
				if err != nil {
					t.Errorf("reverse %s: %v", ours, err)
				}
				code, back := lookup(t, p.reverse, ours)
				if code != 200 || back != want {
					t.Errorf("postsrsd reverse %s: %d %q, want %q", ours, code, back, want)
				}
			}
		})
	}
}

// TestPostsrsdAndTheCodecAgreeOnRefusals: addresses damaged, forged with
// another secret, expired or from the future are refused by both, and a
// hash made with the second secret is accepted by both.
func TestPostsrsdAndTheCodecAgreeOnRefusals(t *testing.T) {
	secrets := []string{"current", "previous"}
	p := startPostsrsd(t, secrets, "-dfwd.example")
	c := &Codec{Secrets: secrets}
	now := time.Now()
	other := &Codec{Secrets: []string{"someone else's"}}
	old := &Codec{Secrets: []string{"previous"}}
	make0 := func(c *Codec, at time.Time) string {
		a, err := c.Forward("user@orig.example", "fwd.example", at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	good := make0(c, now)
	cases := []struct {
		why, addr string
		ok        bool
	}{
		{"fresh", good, true},
		{"the hash in another case", "SRS0=" + swapCase(good[5:9]) + good[9:], true},
		{"made with the second secret", make0(old, now), true},
		{"20 days old", make0(c, now.Add(-20*24*time.Hour)), true},
		{"21 days old: the last day", make0(c, now.Add(-21*24*time.Hour)), true},
		{"22 days old", make0(c, now.Add(-22*24*time.Hour)), false},
		{"from tomorrow: a stamp from 1023 days ago", make0(c, now.Add(24*time.Hour)), false},
		{"another secret", make0(other, now), false},
		{"the user changed", strings.Replace(good, "=user@", "=admin@", 1), false},
		{"hash cut to 3", "SRS0=" + good[5:8] + good[9:], false},
		{"no user", good[:strings.LastIndex(good, "=")] + "@fwd.example", false},
		{"bad stamp character", good[:10] + "!!" + good[12:], false},
		{"SRS1 with a bad hash", "SRS1=AAAA=fwd.example==" + good[5:], false},
	}
	for _, tc := range cases {
		code, _ := lookup(t, p.reverse, tc.addr)
		_, err := c.Reverse(tc.addr, now)
		if (code == 200) != tc.ok || (err == nil) != tc.ok {
			t.Errorf("%s (%s): postsrsd %d, ours %v; want ok=%v", tc.why, tc.addr, code, err, tc.ok)
		}
		if err != nil && !Invalid(err) {
			t.Errorf("%s: %v is not a verdict on the address", tc.why, err)
		}
	}
}

func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] -= 32
		case 'A' <= c && c <= 'Z':
			b[i] += 32
		}
	}
	return string(b)
}
