package smtpd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRelay runs whole sessions from a client that has neither
// RELAYCLIENT nor a login, with a real (stand-in) queue program, and
// checks the relay invariant on what reaches the queue: every recipient
// of every queued envelope is in a domain rcpthosts lists, in an
// ordinary address form, and the envelope has exactly the fields qmail
// expects.
func FuzzRelay(f *testing.F) {
	f.Add("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\n")
	f.Add("HELO x\r\nMAIL FROM:<a\x00Tv@far>\r\nRCPT TO:<u@test>\r\nDATA\r\n.\r\n")
	f.Add("HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<\"v@far\"@test>\r\nRCPT TO:<v%far@test>\r\nRCPT TO:<@test:v@far>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n.\r\n")
	f.Add("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<v@[127.0.0.1]>\r\nRCPT TO:<v@[IPv6:::1]>\r\nRCPT TO:<v@TEST.>\r\nDATA\r\n.\r\n")
	f.Add("EHLO x\r\nAUTH PLAIN AGRlbW8AZGVtbw==\r\nMAIL FROM:<a@b>\r\nRCPT TO:<v@far>\r\nDATA\r\n.\r\n")
	prog, dir := fakeQueue(f)
	cfg := testConfig(prog)
	cfg.CheckPassword = []string{"/bin/false"}
	cfg.Auth = AuthMode{BeforeTLS: true}
	env := []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}
	f.Fuzz(func(t *testing.T, in string) {
		if strings.Count(in, "DATA") > 3 {
			return // each DATA starts a process; keep the fuzzer fast
		}
		ents, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, e := range ents {
			if filepath.Base(e) != "qq" {
				os.Remove(e)
			}
		}
		var out bytes.Buffer
		s := NewSession(cfg, strings.NewReader(in), &out, nil, env)
		s.sleep = func(time.Duration) {}
		s.Run()
		envs, _ := filepath.Glob(filepath.Join(dir, "env*"))
		for _, e := range envs {
			b, _ := os.ReadFile(e)
			if len(b) == 0 {
				continue // aborted: the queue program got no envelope
			}
			fields := strings.Split(string(b), "\x00")
			if len(fields) < 4 || fields[0] == "" || fields[0][0] != 'F' || fields[len(fields)-1] != "" || fields[len(fields)-2] != "" {
				t.Fatalf("malformed envelope %q", b)
			}
			for _, r := range fields[1 : len(fields)-2] {
				addr, ok := strings.CutPrefix(r, "T")
				if !ok {
					t.Fatalf("envelope field %q in %q", r, b)
				}
				if strings.EqualFold(addr, "postmaster") {
					continue
				}
				allowed, _ := cfg.Rcpthosts.Allowed(Domain(addr))
				trick := relayTrick(addr, false)
				if trick != "" && (&Session{cfg: cfg}).ownLiteral(addr, trick) {
					continue
				}
				if !allowed || trick != "" {
					t.Fatalf("relayed to %q (envelope %q)", addr, b)
				}
			}
		}
	})
}
