package stats

import (
	"strings"
	"testing"
)

const label = "@400000006964fe6a075bcd15 " // 2026-01-12 14:00:00.123456789 UTC

const labelNS = 1768226400*1e9 + 123456789

func TestParseLine(t *testing.T) {
	for _, c := range []struct {
		why  string
		line string
		want Event
		bad  bool
	}{
		{"new msg with multilog's label", label + "new msg 12345",
			Event{Kind: NewMsg, Msg: 12345, Time: labelNS, HasTime: true}, false},
		{"a line straight from qmail-send, no label", "end msg 7",
			Event{Kind: EndMsg, Msg: 7}, false},
		{"multilog T accustamp", "1768226400.500000 end msg 7",
			Event{Kind: EndMsg, Msg: 7, Time: 1768226400*1e9 + 5e8, HasTime: true}, false},
		{"info msg", "info msg 12345: bytes 2345 from <a@b.example> qp 6789 uid 1001",
			Event{Kind: InfoMsg, Msg: 12345, Bytes: 2345, HasBytes: true, Addr: "a@b.example"}, false},
		{"info msg of a bounce: null sender", "info msg 9: bytes 1 from <> qp 1 uid 2",
			Event{Kind: InfoMsg, Msg: 9, Bytes: 1, HasBytes: true, Addr: ""}, false},
		{"a sender holding '> qp ' is cut at the last one", "info msg 9: bytes 1 from <x> qp y@z> qp 1 uid 2",
			Event{Kind: InfoMsg, Msg: 9, Bytes: 1, HasBytes: true, Addr: "x> qp y@z"}, false},
		{"info msg cut after the sender still names it", "info msg 9: bytes 1 from <s@d>",
			Event{Kind: InfoMsg, Msg: 9, Bytes: 1, HasBytes: true, Addr: "s@d"}, false},
		{"info msg cut inside the sender is not understood", "info msg 9: bytes 1 from <s@d",
			Event{}, false},
		{"starting a remote delivery", "starting delivery 17: msg 12345 to remote u@d.example",
			Event{Kind: StartDelivery, Delivery: 17, Msg: 12345, Channel: Remote, Addr: "u@d.example"}, false},
		{"starting a local delivery", "starting delivery 18: msg 12345 to local demo@localhost",
			Event{Kind: StartDelivery, Delivery: 18, Msg: 12345, Channel: Local, Addr: "demo@localhost"}, false},
		{"a recipient with a space is the rest of the line", "starting delivery 1: msg 2 to local a b@c",
			Event{Kind: StartDelivery, Delivery: 1, Msg: 2, Channel: Local, Addr: "a b@c"}, false},
		{"an unknown channel", "starting delivery 1: msg 2 to elsewhere a@b", Event{}, false},
		{"success", "delivery 17: success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok/",
			Event{Kind: DeliveryDone, Delivery: 17, Result: Success}, false},
		{"failure", "delivery 19: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/",
			Event{Kind: DeliveryDone, Delivery: 19, Result: Failure}, false},
		{"deferral", "delivery 18: deferral: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/",
			Event{Kind: DeliveryDone, Delivery: 18, Result: Deferral}, false},
		{"qmail 1.03's mangled report is a deferral", "delivery 18: report mangled, will defer",
			Event{Kind: DeliveryDone, Delivery: 18, Result: Deferral}, false},
		{"a result cut short is not a result", "delivery 18: defer", Event{}, false},
		{"bounce", "bounce msg 12345 qp 6790", Event{Kind: Bounce, Msg: 12345}, false},
		{"bounce cut after the number", "bounce msg 12345", Event{Kind: Bounce, Msg: 12345}, false},
		{"bounce with the number run into garbage", "bounce msg 12345x", Event{}, false},
		{"triple bounce", "triple bounce: discarding bounce/12345", Event{Kind: TripleBounce, Msg: 12345}, false},
		{"status", "status: local 1/10 remote 3/20",
			Event{Kind: SendStatus, Active: [2]int{1, 3}, Limit: [2]int{10, 20}}, false},
		{"status with trailing garbage", "status: local 1/10 remote 3/20x", Event{}, false},
		{"exiting", "status: exiting", Event{Kind: SendExiting}, false},
		{"alert", "alert: unable to reread controls", Event{Kind: SendAlert}, false},
		{"warning", "warning: trouble injecting bounce message", Event{Kind: SendWarning}, false},
		{"a number too big for 63 bits is refused", "new msg 99999999999999999999999", Event{}, false},
		{"qmail-smtpd accepting a message",
			"qmail-smtpd: Accept::DATA::Queued: P:ESMTP S:127.0.0.1:localhost H:x F:a@b T: R:2 size:345 qp:99",
			Event{Kind: SMTPD, SMTP: SMTPRecord{"Accept", "DATA", "Queued"}, Bytes: 345, HasBytes: true}, false},
		{"qmail-smtpd refusing a recipient",
			"qmail-smtpd: Reject::RCPT::Rcpthosts: P:SMTP S:::1: H:x F:a@b T:c@d",
			Event{Kind: SMTPD, SMTP: SMTPRecord{"Reject", "RCPT", "Rcpthosts"}}, false},
		{"qmail-smtpd with an unknown result", "qmail-smtpd: Maybe::RCPT::X: P:SMTP", Event{Kind: SMTPDOther}, false},
		{"qmail-smtpd with a missing part", "qmail-smtpd: Accept::RCPT: P:SMTP", Event{Kind: SMTPDOther}, false},
		{"qmail-smtpd with an empty reason", "qmail-smtpd: Accept::RCPT::: P:SMTP", Event{Kind: SMTPDOther}, false},
		{"tcpserver status", "tcpserver: status: 3/40",
			Event{Kind: ServerStatus, Server: "tcpserver", Active: [2]int{3}, Limit: [2]int{40}}, false},
		{"sslserver status", "sslserver: status: 0/20",
			Event{Kind: ServerStatus, Server: "sslserver", Limit: [2]int{20}}, false},
		{"tcpserver ok", "tcpserver: ok 123 h:::ffff:127.0.0.1:25 :::ffff:127.0.0.1::5000",
			Event{Kind: ServerOK, Server: "tcpserver"}, false},
		{"tcpserver deny by rules", "tcpserver: deny 0 h:::ffff:127.0.0.1:25 :::ffff:127.0.0.1::5000",
			Event{Kind: ServerDeny, Server: "tcpserver"}, false},
		{"tcpserver deny at the per-IP limit", "tcpserver: deny 0 h:::ffff:127.0.0.1:25 :::ffff:127.0.0.1::5000 ip connection limit:5 exceeded",
			Event{Kind: ServerDeny, Server: "tcpserver", IPLimit: true}, false},
		{"tcpserver end", "tcpserver: end 123 status 0", Event{Kind: ServerOther, Server: "tcpserver"}, false},
		{"rblsmtpd 451", "rblsmtpd: 192.0.2.1 pid 77: 451 listed", Event{Kind: RBL, RBLCode: 451}, false},
		{"rblsmtpd 553", "rblsmtpd: ::1 pid 77: 553 refused", Event{Kind: RBL, RBLCode: 553}, false},
		{"rblsmtpd without a code", "rblsmtpd: ::1 pid 77: listed", Event{}, false},
		{"empty line", "", Event{}, false},
		{"garbage", "\x00\xff garbage", Event{}, false},
		{"a label too short", "@400000006964fe6a075b new msg 1", Event{}, true},
		{"a label without its space", "@400000006964fe6a075bcd15new msg 1", Event{}, true},
		{"a label with upper-case hex", "@400000006964FE6A075bcd15 new msg 1", Event{}, true},
		{"a label before 1970", "@3fffffffffffffff00000000 new msg 1", Event{}, true},
		{"a label alone", "@400000006964fe6a075bcd15", Event{}, true},
		{"digits that are not an accustamp", "12345 new msg 1", Event{}, false},
	} {
		got, bad := ParseLine([]byte(c.line))
		if got != c.want || bad != c.bad {
			t.Errorf("%s: ParseLine(%q) = %+v, %v; want %+v, %v", c.why, c.line, got, bad, c.want, c.bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := mustTime(t, "2026-01-12T15:00:00Z")
	for _, c := range []struct {
		why, in string
		want    int64
	}{
		{"a TAI64N label as multilog writes it", "@400000006964fe6a075bcd15", labelNS},
		{"UNIX seconds", "1768226400", 1768226400e9},
		{"UNIX seconds with a fraction", "1768226400.25", 1768226400e9 + 25e7},
		{"RFC 3339 with a zone", "2026-01-12T15:00:00+01:00", 1768226400e9},
		{"date and time without a zone is UTC", "2026-01-12 14:00:00", 1768226400e9},
		{"a date alone is its midnight, UTC", "2026-01-12", 1768176000e9},
		{"a duration counts back from now", "1h", 1768226400e9},
	} {
		got, err := ParseTime(c.in, now)
		if err != nil || got != c.want {
			t.Errorf("%s: ParseTime(%q) = %d, %v; want %d", c.why, c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "@4000", "-1h", "2026-13-01", "@400000006964fe6a075bcd15x"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		label + "new msg 12345",
		"info msg 12345: bytes 2345 from <a@b.example> qp 6789 uid 1001",
		"starting delivery 17: msg 12345 to remote u@d.example",
		"delivery 17: success: ok/",
		"status: local 1/10 remote 3/20",
		"qmail-smtpd: Accept::DATA::Queued: P:ESMTP S:127.0.0.1:localhost H:x F:a@b T: R:2 size:345 qp:99",
		"tcpserver: deny 0 h:::ffff:127.0.0.1:25 :::ffff:127.0.0.1::5000 ip connection limit:5 exceeded",
		"rblsmtpd: 192.0.2.1 pid 77: 451 listed",
		"1768226400.500000 end msg 7",
		"@400000006964fe6a075b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, bad := ParseLine(line)
		if ev.Kind >= numKinds || ev.Channel > Remote || ev.Result >= numResults {
			t.Fatalf("ParseLine(%q) = %+v: out of range", line, ev)
		}
		if bad && ev.Kind != Unknown {
			t.Fatalf("ParseLine(%q): a bad stamp with kind %d", line, ev.Kind)
		}
		if len(ev.Addr) > len(line) || len(ev.SMTP.Stage) > maxField || len(ev.SMTP.Reason) > maxField {
			t.Fatalf("ParseLine(%q) = %+v: fields longer than possible", line, ev)
		}
		if ev.HasTime && (ev.Time < 0 || ev.Time >= maxUnixSec*1e9) {
			t.Fatalf("ParseLine(%q): time %d out of range", line, ev.Time)
		}
		if again, _ := ParseLine(line); again != ev {
			t.Fatalf("ParseLine(%q) is not deterministic", line)
		}
		if strings.ContainsRune(ev.Server, ' ') {
			t.Fatalf("server name %q", ev.Server)
		}
	})
}
