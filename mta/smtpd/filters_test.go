package smtpd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/mta/recipients"
)

func TestPatternList(t *testing.T) {
	p := NewPatternList([]string{"spam@bad.test", "@worse.test", "*@*.dyn.test", "!ok@x.dyn.test", "host?.test"})
	cases := []struct {
		v    string
		want bool
	}{
		{"SPAM@bad.test", true},
		{"other@bad.test", false},
		{"a@worse.test", true},
		{"a@sub.worse.test", false},
		{"a@x.dyn.test", true},
		{"ok@x.dyn.test", false},
		{"host1.test", true},
		{"host12.test", false},
		{"", false},
	}
	for _, c := range cases {
		if got := p.Match(c.v); got != c.want {
			t.Errorf("Match(%q) = %v", c.v, got)
		}
	}
	if !glob("a*b*c", "axxbyyc") || glob("a*b", "ab c") || !glob("*", "") {
		t.Errorf("glob")
	}
}

const filterZone = `
pass.test.      TXT "v=spf1 ip4:127.0.0.9 -all"
fail.test.      TXT "v=spf1 -all"
soft.test.      TXT "v=spf1 ~all"
neutral.test.   TXT "v=spf1 ?all"
none.test.      MX  10 mx.none.test.
mx.none.test.   A   192.0.2.1
perm.test.      TXT "v=spf1 bogus -all"
temp.test.      TXT "v=spf1 -all"
good.helo.test. A   127.0.0.9
mxonly.helo.test. MX 10 mx.none.test.
`

func TestSPFLevels(t *testing.T) {
	srv := dnstest.Start(t, filterZone)
	srv.Fail("temp.test", dnstest.ServFail)
	prog, dir := fakeQueue(t)
	cases := []struct {
		sender string
		level  int
		code   string
		result string
	}{
		{"a@pass.test", 6, "250", "pass"},
		{"a@fail.test", 3, "550", "fail"},
		{"a@fail.test", 2, "250", "fail"},
		{"a@soft.test", 4, "550", "softfail"},
		{"a@soft.test", 3, "250", "softfail"},
		{"a@neutral.test", 5, "550", "neutral"},
		{"a@neutral.test", 4, "250", "neutral"},
		{"a@none.test", 5, "250", "none"},
		{"a@none.test", 6, "550", "none"},
		{"a@temp.test", 2, "451", "temperror"},
		{"a@temp.test", 1, "250", "temperror"},
		{"a@perm.test", 5, "250", "permerror"},
		{"a@perm.test", 6, "550", "permerror"},
	}
	for _, c := range cases {
		cfg := testConfig(prog)
		cfg.Filters.SPFBehavior = c.level
		cfg.Filters.DNS = dnsclient.New([]string{srv.Addr})
		in := "HELO good.helo.test\r\nMAIL FROM:<" + c.sender + ">\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\n"
		for _, f := range []string{"msg0"} {
			os.Remove(filepath.Join(dir, f))
		}
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}, in)
		codes := strings.Fields(replyCodes(out))
		if codes[2] != c.code {
			t.Errorf("%s at level %d: MAIL got %s, want %s\n%s", c.sender, c.level, codes[2], c.code, out)
			continue
		}
		if c.code == "250" {
			msg, _ := os.ReadFile(filepath.Join(dir, "msg0"))
			if !strings.HasPrefix(string(msg), "Received-SPF: "+c.result+" (") {
				t.Errorf("%s: header %q", c.sender, msg)
			}
		}
	}
}

func TestHeloAndSenderChecks(t *testing.T) {
	srv := dnstest.Start(t, filterZone)
	srv.Fail("down.helo.test", dnstest.ServFail)
	prog, _ := fakeQueue(t)
	cases := []struct {
		why, helocheck string // "\x00": unset or empty
		mfdns          bool
		helo, sender   string
		code           string
	}{
		{"no check, no HELO", "\x00", false, "", "a@b", "250"},
		{"! requires HELO", "!", false, "", "a@b", "553"},
		{"! takes any HELO", "!", false, "localhost", "a@b", "250"},
		{". requires HELO", ".", false, "", "a@b", "553"},
		{". HELO given", ".", false, "anything", "a@b", "250"},
		{"= HELO is the client's name", "=", false, "client.test", "a@b", "250"},
		{"= in another case, with a final dot", "=", false, "CLIENT.test.", "a@b", "250"},
		{"= HELO is another name", "=", false, "good.helo.test", "a@b", "553"},
		{"A: the name has an address", "A", false, "good.helo.test", "a@b", "250"},
		{"A: MX only is not an address", "A", false, "mxonly.helo.test", "a@b", "553"},
		{"A: does not exist", "A", false, "bad.helo.test", "a@b", "553"},
		{"A: server failure defers", "A", false, "down.helo.test", "a@b", "451"},
		{"A: own literal", "A", false, "[127.0.0.9]", "a@b", "250"},
		{"A: another literal", "A", false, "[192.0.2.1]", "a@b", "553"},
		{"A: no HELO", "A", false, "", "a@b", "553"},
		{"M: MX", "M", false, "mxonly.helo.test", "a@b", "250"},
		{"M: address record will do", "M", false, "good.helo.test", "a@b", "250"},
		{"M: does not exist", "M", false, "bad.helo.test", "a@b", "553"},
		{"sender domain exists (MX)", "\x00", true, "x", "a@none.test", "250"},
		{"sender domain does not exist", "\x00", true, "x", "a@nowhere.test", "553"},
		{"null sender is not checked", "\x00", true, "x", "", "250"},
	}
	for _, c := range cases {
		cfg := testConfig(prog)
		cfg.Filters.HeloCheck = HeloCheck(c.helocheck[0])
		cfg.Filters.MFDNSCheck = c.mfdns
		cfg.Filters.DNS = dnsclient.New([]string{srv.Addr})
		in := "MAIL FROM:<" + c.sender + ">\r\n"
		if c.helo != "" {
			in = "HELO " + c.helo + "\r\n" + in
		}
		out, _ := dialog(t, cfg, nil, in)
		codes := strings.Fields(replyCodes(out))
		if got := codes[len(codes)-1]; got != c.code {
			t.Errorf("%s: %s, want %s\n%s", c.why, got, c.code, out)
		}
	}
}

func TestBadrcpttoAndTarpit(t *testing.T) {
	prog, _ := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.BadRcptTo = NewPatternList([]string{"abuse-trap@test"})
	cfg.BadHelo = NewPatternList([]string{"*.spammer.test"})
	cfg.Filters.TarpitCount = 2
	cfg.Filters.TarpitDelay = 3 * time.Second
	var out bytes.Buffer
	in := "HELO ok\r\nMAIL FROM:<a@b>\r\nRCPT TO:<abuse-trap@test>\r\nRCPT TO:<1@test>\r\nRCPT TO:<2@test>\r\nRCPT TO:<3@test>\r\nRCPT TO:<4@test>\r\nHELO x.spammer.test\r\nMAIL FROM:<a@b>\r\n"
	s := NewSession(cfg, strings.NewReader(in), &out, nil, nil)
	var slept []time.Duration
	s.sleep = func(d time.Duration) { slept = append(slept, d) }
	s.Run()
	if got := replyCodes(out.String()); got != "220 250 250 553 250 250 250 250 250 553" {
		t.Errorf("codes %s\n%s", got, out.String())
	}
	if len(slept) != 2 || slept[0] != 3*time.Second {
		t.Errorf("tarpit slept %v, want two delays of 3s (recipients 3 and 4)", slept)
	}
}

func TestRecipientValidation(t *testing.T) {
	cfg, dir := recipientsConfig(t, "u@test")
	in := "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nRCPT TO:<forged@test>\r\nRCPT TO:<x@elsewhere.invalid>\r\n"
	out, log := dialog(t, cfg, []string{"QDIR=" + dir}, in)
	if got := replyCodes(out); got != "220 250 250 550 553" {
		t.Errorf("%s\n%s", got, out)
	}
	if !strings.Contains(log, "Reject::RCPT::Recipients: ") {
		t.Errorf("log:\n%s", log)
	}
	cfg.Recipients450 = true
	out, _ = dialog(t, cfg, []string{"QDIR=" + dir}, in)
	if got := replyCodes(out); got != "220 250 250 450 553" {
		t.Errorf("RECIPIENTS450: %s", got)
	}
}

// recipientsConfig is testConfig with a fake queue and a recipients cdb
// built from the addresses given.
func recipientsConfig(t *testing.T, known ...string) (*Config, string) {
	t.Helper()
	prog, dir := fakeQueue(t)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "users"), 0755)
	os.WriteFile(filepath.Join(home, "users", "recipients"), []byte(strings.Join(known, "\n")+"\n"), 0644)
	if err := recipients.Build(home); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(prog)
	cfg.Recipients = []recipients.Source{{CDB: filepath.Join(home, "users", "recipients.cdb")}}
	return cfg, dir
}
