package pop3

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/throttle"
)

// fakeLogin accepts demo/demo (and APOP with digest "good"); a good
// login plays qmail-pop3d: it answers "+OK " and echoes the next line it
// reads, proving that line was left on the connection for it.
type fakeLogin struct {
	reqs    []LoginRequest
	verdict checkpw.Verdict
	err     error
}

func (f *fakeLogin) login(r LoginRequest) (checkpw.Verdict, error) {
	f.reqs = append(f.reqs, r)
	if f.err != nil || f.verdict != checkpw.Good {
		return f.verdict, f.err
	}
	if !(string(r.User) == "demo" && (string(r.Secret) == "demo" || r.Method == "APOP" && string(r.Secret) == "good")) {
		return checkpw.Bad, nil
	}
	io.WriteString(r.Out, "+OK \r\n")
	rest, _ := io.ReadAll(r.In)
	io.WriteString(r.Out, "pop3d got "+string(rest))
	return checkpw.Good, nil
}

func popupDialog(t *testing.T, cfg *PopupConfig, fl *fakeLogin, in string) (string, string, error) {
	t.Helper()
	if cfg == nil {
		cfg = &PopupConfig{}
	}
	cfg.Timestamp = "<123.456@pop.test>"
	cfg.RemoteIP = "127.0.0.9"
	cfg.Login = fl.login
	var out, log bytes.Buffer
	p := NewPopup(cfg, iotest.OneByteReader(strings.NewReader(in)), &out, &log, []string{"A=1"})
	p.sleep = func(time.Duration) {}
	err := p.Run()
	return out.String(), log.String(), err
}

func TestPopupDialogs(t *testing.T) {
	const greet = "+OK <123.456@pop.test>\r\n"
	cases := []struct {
		in, out string
		verdict checkpw.Verdict
		err     error
		log     string
		why     string
	}{
		{"USER demo\r\nPASS demo\r\nSTAT\r\n", greet + "+OK \r\n+OK \r\npop3d got STAT\r\n", checkpw.Good, nil,
			"qmail-popup: login ok user=demo ip=127.0.0.9 method=USER\n", "pipelined login leaves STAT to qmail-pop3d"},
		{"user demo\nPass demo\n", greet + "+OK \r\n+OK \r\npop3d got ", checkpw.Good, nil,
			"qmail-popup: login ok", "verbs in any case, bare LF line ends"},
		{"APOP demo good\r\n", greet + "+OK \r\npop3d got ", checkpw.Good, nil, "method=APOP", "APOP"},
		{"USER demo\r\nPASS wrong\r\nNOOP\r\n", greet + "+OK \r\n-ERR authorization failed\r\n", checkpw.Good, ErrAuthFailed,
			"qmail-popup: login failed user=demo ip=127.0.0.9 method=USER\n", "bad password ends the session"},
		{"USER demo\r\nPASS demo\r\n", greet + "+OK \r\n-ERR authorization failed\r\n", checkpw.Temporary, ErrAuthFailed,
			"login deferred", "temporary failure"},
		{"PASS demo\r\nUSER\r\nAPOP demo\r\nSTAT\r\nNOOP\r\nQUIT\r\n",
			greet + "-ERR USER first\r\n-ERR syntax error\r\n-ERR syntax error\r\n-ERR authorization first\r\n+OK \r\n+OK \r\n", checkpw.Good, nil, "", "errors before login"},
		{"CAPA\r\n", greet + "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\nIMPLEMENTATION quail\r\n.\r\n", checkpw.Good, nil, "", "CAPA without TLS"},
		{"STLS\r\n", greet + "-ERR authorization first\r\n", checkpw.Good, nil, "", "STLS not offered"},
		{"USER " + strings.Repeat("x", MaxLine) + "\r\n", greet + "-ERR line too long\r\n", checkpw.Good, errLineTooLong, "", "overlong line"},
		{"USER a b  \r\nPASS  p w \r\n", greet + "+OK \r\n-ERR authorization failed\r\n", checkpw.Good, ErrAuthFailed,
			"user=a?b??", "spaces inside arguments are kept"},
	}
	for _, c := range cases {
		fl := &fakeLogin{verdict: c.verdict}
		out, log, err := popupDialog(t, nil, fl, c.in)
		if out != c.out || !errors.Is(err, c.err) || !strings.Contains(log, c.log) {
			t.Errorf("%s:\n got %q, %v, log %q\nwant %q, %v, log %q", c.why, out, err, log, c.out, c.err, c.log)
		}
	}
}

func TestPopupLoginFields(t *testing.T) {
	fl := &fakeLogin{verdict: checkpw.Bad}
	popupDialog(t, nil, fl, "USER a b  \r\nPASS  p\x00w \r\n")
	if len(fl.reqs) != 1 {
		t.Fatalf("%d logins", len(fl.reqs))
	}
	r := fl.reqs[0]
	// qmail: the argument starts after the spaces following the verb and
	// keeps everything else; a NUL becomes LF.
	if string(r.User) != "a b  " || string(r.Secret) != "p\nw " || string(r.Timestamp) != "<123.456@pop.test>" || r.Method != "USER" {
		t.Errorf("request %q %q %q %s", r.User, r.Secret, r.Timestamp, r.Method)
	}
	fl = &fakeLogin{verdict: checkpw.Bad}
	popupDialog(t, nil, fl, "APOP demo c4c9334bac560ecc979e58001b3e22fb\r\n")
	if r := fl.reqs[0]; string(r.User) != "demo" || string(r.Secret) != "c4c9334bac560ecc979e58001b3e22fb" || r.Method != "APOP" {
		t.Errorf("APOP request %q %q", r.User, r.Secret)
	}
}

func TestPopupCrashedChild(t *testing.T) {
	fl := &fakeLogin{verdict: checkpw.Temporary, err: errors.New("checkpassword crashed")}
	out, _, _ := popupDialog(t, nil, fl, "USER demo\r\nPASS demo\r\n")
	if !strings.HasSuffix(out, "-ERR aack, child crashed\r\n") {
		t.Errorf("got %q", out)
	}
}

// fakeTLS stands for sslserver's side of UCSPI-TLS: after STLS the
// session reads the "decrypted" commands from after and writes to sink.
type fakeTLS struct {
	after string
	sink  *bytes.Buffer
}

func (f *fakeTLS) StartTLS() ([]string, io.Reader, io.Writer, error) {
	return []string{"SSL_PROTOCOL=TLSv1.3"}, strings.NewReader(f.after), f.sink, nil
}

func TestPopupSTLS(t *testing.T) {
	var secure bytes.Buffer
	cfg := &PopupConfig{TLSMode: TLSRequire, TLS: &fakeTLS{after: "CAPA\r\nUSER demo\r\nPASS demo\r\nLIST\r\n", sink: &secure}}
	fl := &fakeLogin{verdict: checkpw.Good}
	clear, log, err := popupDialog(t, cfg, fl, "CAPA\r\nUSER demo\r\nPASS demo\r\nAPOP demo good\r\nSTLS\r\n")
	if err != nil {
		t.Fatal(err)
	}
	// Before TLS no password is taken, and CAPA does not list USER
	// (RFC 2449 6.7).
	wantClear := "+OK <123.456@pop.test>\r\n+OK capability list follows\r\nTOP\r\nUIDL\r\nPIPELINING\r\nSTLS\r\nIMPLEMENTATION quail\r\n.\r\n" +
		"-ERR STLS first\r\n-ERR STLS first\r\n-ERR STLS first\r\n+OK begin TLS negotiation\r\n"
	if clear != wantClear {
		t.Errorf("cleartext part %q\nwant %q", clear, wantClear)
	}
	want := "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\nIMPLEMENTATION quail\r\n.\r\n+OK \r\n+OK \r\npop3d got LIST\r\n"
	if secure.String() != want {
		t.Errorf("TLS part %q\nwant %q", secure.String(), want)
	}
	if len(fl.reqs) != 1 || !strings.Contains(strings.Join(fl.reqs[0].Env, " "), "SSL_PROTOCOL=TLSv1.3") {
		t.Errorf("checkpassword environment lacks the TLS variables: %+v", fl.reqs)
	}
	if !strings.Contains(log, "login ok user=demo") {
		t.Errorf("log %q", log)
	}
}

func TestTLSFromEnv(t *testing.T) {
	cases := []struct {
		env    map[string]string
		mode   TLSMode
		active bool
		why    string
	}{
		{map[string]string{}, TLSOff, false, "no UCSPITLS"},
		{map[string]string{"UCSPITLS": "-"}, TLSOff, false, "switched off"},
		{map[string]string{"UCSPITLS": ""}, TLSOffer, false, "set: offered"},
		{map[string]string{"UCSPITLS": "!"}, TLSRequire, false, "required"},
		{map[string]string{"UCSPITLS": "!", "PROTO": "TLS"}, TLSRequire, true, "sslserver without -n: already on"},
		{map[string]string{"UCSPITLS": "", "PROTO": "TLS", "SSLCTLFD": "5"}, TLSOffer, false, "sslserver -n: not yet on"},
	}
	for _, c := range cases {
		mode, starter, active := TLSFromEnv(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if mode != c.mode || active != c.active || starter != nil {
			t.Errorf("%s: mode %v active %v starter %v", c.why, mode, active, starter)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"USER demo\r\n", "pass  a b \n", "APOP u d\r\n", "\r\n", "\x00\r\r\n", "STAT"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		verb, arg := ParseCommand(line)
		if strings.ContainsAny(verb, " \x00") || strings.HasPrefix(arg, " ") || strings.Contains(arg, "\x00") {
			t.Fatalf("ParseCommand(%q) = %q, %q", line, verb, arg)
		}
	})
}

// FuzzPopup runs whole sessions on arbitrary input: no panic, no hang,
// and nothing but whole reply lines on the wire.
func FuzzPopup(f *testing.F) {
	f.Add("USER demo\r\nPASS demo\r\nSTAT\r\n")
	f.Add("CAPA\r\nSTLS\r\nAPOP x\r\nQUIT\r\n")
	f.Add("\n\n\x00 \r\n")
	f.Fuzz(func(t *testing.T, in string) {
		fl := &fakeLogin{verdict: checkpw.Bad}
		var out bytes.Buffer
		cfg := &PopupConfig{Timestamp: "<1.2@h>", Login: fl.login, TLSMode: TLSOffer, TLS: &fakeTLS{after: "QUIT\r\n", sink: new(bytes.Buffer)}}
		p := NewPopup(cfg, strings.NewReader(in), &out, io.Discard, nil)
		p.sleep = func(time.Duration) {}
		p.Run()
		if !strings.HasSuffix(out.String(), "\r\n") {
			t.Fatalf("output %q", out.String())
		}
	})
}

// qmail-popup through the login throttle: the failure that reaches the
// limit is logged with it and waits the throttle's delay; the next login
// is refused without a check.
func TestPopupThrottled(t *testing.T) {
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, throttle.Dir), 0o700)
	now := time.Unix(1_800_000_000, 0)
	th := throttle.New(home, func() time.Time { return now })
	for i := 0; i < throttle.AddressPolicy.Free-1; i++ {
		th.Failed("127.0.0.9", "someone")
	}
	var slept []time.Duration
	run := func(in string) (string, string, int) {
		fl := &fakeLogin{verdict: checkpw.Good}
		cfg := &PopupConfig{Throttle: th, FailDelay: 2 * time.Second, Timestamp: "<123.456@pop.test>", RemoteIP: "127.0.0.9", Login: fl.login}
		var out, log bytes.Buffer
		p := NewPopup(cfg, strings.NewReader(in), &out, &log, nil)
		p.sleep = func(d time.Duration) { slept = append(slept, d) }
		p.Run()
		return out.String(), log.String(), len(fl.reqs)
	}
	const greet = "+OK <123.456@pop.test>\r\n"
	out, log, n := run("USER demo\r\nPASS wrong\r\n")
	if out != greet+"+OK \r\n-ERR authorization failed\r\n" || log != "qmail-popup: login failed user=demo ip=127.0.0.9 method=USER throttle=address:60\n" || n != 1 || len(slept) != 1 || slept[0] != 8*time.Second {
		t.Errorf("the tenth failure: %q %q %d %v", out, log, n, slept)
	}
	out, log, n = run("USER demo\r\nPASS demo\r\n")
	if out != greet+"+OK \r\n-ERR too many failed logins, try again later\r\n" || log != "qmail-popup: login throttled user=demo ip=127.0.0.9 method=USER throttle=address:60\n" || n != 0 {
		t.Errorf("a refused login: %q %q %d", out, log, n)
	}
}
