package smtpd

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
)

// zoneDNS answers from a fixed table, so that a fuzzed session reaches
// the DNS-driven checks (HELOCHECK, MFDNSCHECK, SPF) without a server.
// Names containing "down" fail temporarily.
type zoneDNS struct{}

// errDown is temporary to dnsclient.IsTemporary, as a timeout is.
var errDown = fmt.Errorf("server failure: %w", context.DeadlineExceeded)

func (zoneDNS) answer(name string) error {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	switch {
	case strings.Contains(name, "down"):
		return errDown
	case strings.HasSuffix(name, ".test") || name == "test":
		return nil
	}
	return dnsclient.ErrNXDomain
}

func (z zoneDNS) TXT(_ context.Context, name string) ([]string, error) {
	if err := z.answer(name); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(name, "fail."):
		return []string{"v=spf1 -all"}, nil
	case strings.HasPrefix(name, "soft."):
		return []string{"v=spf1 ~all"}, nil
	case strings.HasPrefix(name, "loop."):
		return []string{"v=spf1 include:loop." + name + " a mx ptr exists:%{i}.x.test ?all"}, nil
	}
	return []string{"v=spf1 ip4:127.0.0.0/8 mx a:%{d} redirect=soft.test"}, nil
}

func (z zoneDNS) A(_ context.Context, name string) ([]netip.Addr, error) {
	if err := z.answer(name); err != nil {
		return nil, err
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.9")}, nil
}

func (z zoneDNS) AAAA(_ context.Context, name string) ([]netip.Addr, error) {
	if err := z.answer(name); err != nil {
		return nil, err
	}
	return nil, dnsclient.ErrNoData
}

func (z zoneDNS) MX(_ context.Context, name string) ([]dnsclient.MX, error) {
	if err := z.answer(name); err != nil {
		return nil, err
	}
	return []dnsclient.MX{{Pref: 10, Host: "mx." + name}}, nil
}

func (zoneDNS) PTR(_ context.Context, ip netip.Addr) ([]string, error) {
	return []string{"client.test"}, nil
}

// replyLine is every line a client may see: a code, a separator, text.
var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9][ -][^\r\n]*$`)

// FuzzSessionFeatures runs sessions with every envelope check of
// Spamcontrol switched on (HELOCHECK, the bad* lists, MFDNSCHECK,
// MAXRECIPIENTS, tarpitting without the delay, SPF rejecting on fail,
// Warlord) and AUTH offered in the clear with a checkpassword that cannot
// run: no input may panic, and every reply line must be a well-formed
// SMTP reply.
func FuzzSessionFeatures(f *testing.F) {
	for _, s := range []string{
		"EHLO good.test\r\nMAIL FROM:<a@fail.test>\r\nRCPT TO:<u@test>\r\nQUIT\r\n",
		"HELO down.test\r\nMAIL FROM:<a@soft.test>\r\nRCPT TO:<u@test>\r\nRCPT TO:<v@test>\r\nRCPT TO:<w@test>\r\nRCPT TO:<x@test>\r\n",
		"EHLO [127.0.0.9]\r\nMAIL FROM:<a@loop.test>\r\nRCPT TO:<bad@test>\r\nDATA\r\n",
		"EHLO x\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\nAUTH CRAM-MD5\r\ndXNlciBhYmM=\r\n",
		"EHLO spammer.example\r\nMAIL FROM:<x@nowhere.example>\r\nRCPT TO:<a%b@test>\r\nRCPT TO:<@r:c@test>\r\n",
		"EHLO good.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@test>\r\nDATA\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/x-msdownload\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n.\r\nQUIT\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cfg := testConfig("/nonexistent/qq")
		cfg.BadMailFrom = NewPatternList([]string{"@nowhere.example", "spam*@*", "!ok@nowhere.example"})
		cfg.BadRcptTo = NewPatternList([]string{"bad@test", "*%*"})
		cfg.BadHelo = NewPatternList([]string{"spammer.*", "*.example"})
		cfg.BadMailFromUnknown = NewPatternList([]string{"*.test"})
		cfg.MaxRecipients = 3
		cfg.Auth = AuthMode{BeforeTLS: true}
		cfg.CheckPassword = []string{"/nonexistent/checkpassword", "true"}
		cfg.Filters = Filters{HeloCheck: HeloA, MFDNSCheck: true, TarpitCount: 2,
			SPFBehavior: 3, SPFRules: "a:relay.test", DNS: zoneDNS{},
			Warlord: WarlordConfig{MimeTypes: keys("TVqQAAMAA"), Loaders: keys("Mi5kb"), LoaderLetters: "M", Whitespace: true}}
		var out, log bytes.Buffer
		s := NewSession(cfg, strings.NewReader(in), &out, &log, nil)
		s.Run()
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n") {
			if l != "" && !replyLine.MatchString(l) {
				t.Fatalf("malformed reply line %q", l)
			}
		}
	})
}

// A check that cannot be made now answers 451 and logs Defer, as the
// man page's log format says; one that fails answers 5xx and logs Reject.
func TestTemporaryChecksLogDefer(t *testing.T) {
	for _, c := range []struct {
		why, helo, from, want string
	}{
		{"HELO name's DNS down", "down.test", "a@good.test", "Defer::MAIL::Helo_DNS"},
		{"HELO name does not exist", "nx.example", "a@good.test", "Reject::MAIL::Helo_DNS"},
		{"sender domain's DNS down", "good.test", "a@down.test", "Defer::MAIL::Sender_DNS"},
		{"sender domain does not exist", "good.test", "a@nx.example", "Reject::MAIL::Sender_DNS"},
		{"SPF fail", "good.test", "a@fail.test", "Reject::MAIL::SPF"},
		{"queue program cannot start", "good.test", "a@good.test", "Defer::DATA::Queue_start"},
	} {
		cfg := testConfig("/nonexistent/qq")
		cfg.Filters = Filters{HeloCheck: HeloMX, MFDNSCheck: true, SPFBehavior: 3, DNS: zoneDNS{}}
		_, log := dialog(t, cfg, nil, "HELO "+c.helo+"\r\nMAIL FROM:<"+c.from+">\r\nRCPT TO:<u@test>\r\nDATA\r\nQUIT\r\n")
		if !strings.Contains(log, c.want) {
			t.Errorf("%s: log %q, want %s", c.why, log, c.want)
		}
	}
}
