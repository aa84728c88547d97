package tlsreport

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/base64"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/mtasts"
	"github.com/quail-mta/quail/mta/remote"
	"github.com/quail-mta/quail/mta/send"
	"github.com/quail-mta/quail/mta/tlsrpt"
	"github.com/quail-mta/quail/tai64"
)

var update = flag.Bool("update", false, "rewrite the golden report")

// day is the day the test's log covers.
var day = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

// logLine is a line of qmail-send's log as multilog stamps it: the
// delivery line of a report that carries the sessions.
func logLine(at time.Time, id int, kind string, sessions ...tlsrpt.Session) string {
	text := "127.0.0.2 accepted message over TLS.\nRemote host said: 250 ok\n"
	for _, s := range sessions {
		text += s.Line()
	}
	return tai64.FromTime(at).String() + " delivery " + strconv.Itoa(id) + ": " + kind + ": " + send.Safe(text) + "\n"
}

func sess(policy, domain, mx, ip, result string) tlsrpt.Session {
	return tlsrpt.Session{Policy: policy, Domain: domain, MX: mx, IP: ip, Result: result}
}

// reportHome is a qmail home for qmail-tlsrpt: control/me, the real
// qmail-inject in bin/ with a stand-in qmail-queue beside it, a cached
// MTA-STS policy, the test CA as mtastsca.pem.
type reportHome struct {
	home  string
	queue *testbin.QueueStandIn
	dns   *dnstest.Server
	env   []string
	posts *posts
	log   string
}

type posts struct {
	mu     sync.Mutex
	bodies [][]byte
	ctypes []string
}

func newReportHome(t *testing.T) *reportHome {
	t.Helper()
	home, q := testbin.SMTPHome(t, "quail.test")
	testbin.CopyProgram(t, "qmail-inject", filepath.Join(home, "bin", "qmail-inject"), 0o755)
	ca := testbin.NewCA(t, "Test CA")
	os.WriteFile(filepath.Join(home, "control", "mtastsca.pem"), ca.CertPEM(), 0o644)
	// qmail-remote's cache, as a delivery to example.com left it.
	os.MkdirAll(remote.CacheDir(home), 0o755)
	pol, err := mtasts.ParsePolicy("version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: mx2.example.com\nmax_age: 86400\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&mtasts.Cache{Dir: remote.CacheDir(home)}).Put("example.com", &mtasts.Entry{Fetched: time.Now(), ID: "a1", Policy: pol}); err != nil {
		t.Fatal(err)
	}
	// An https: endpoint for reports, with a certificate of the test CA.
	ps := &posts{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ps.mu.Lock()
		ps.bodies = append(ps.bodies, b)
		ps.ctypes = append(ps.ctypes, r.Header.Get("Content-Type"))
		ps.mu.Unlock()
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, []string{"reports.example.net"}).TLS()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	zone := strings.Join([]string{
		`_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.com,https://reports.example.net:` + port + `/tlsrpt"`,
		`_smtp._tls.example.org. TXT "v=TLSRPTv1;rua=mailto:rua@example.org"`,
		`_25._tcp.mx.example.org. TLSA 3 1 1 6a1e0c4a2a6f0e3d59f3a1d2c8b7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9`,
		`reports.example.net. A 127.0.0.1`,
		`_smtp._tls.norua.example. TXT "v=spf1 -all"`,
	}, "\n")
	dns := dnstest.Start(t, zone)
	dns.SetAD("mx.example.org", true)
	at := day.Add(10 * time.Hour)
	log := logLine(at, 1, "success",
		sess("sts", "example.com", "mx1.example.com", "192.0.2.1", "certificate-host-mismatch"),
		sess("sts", "example.com", "mx2.example.com", "192.0.2.2", "success")) +
		logLine(at.Add(time.Minute), 2, "success", sess("sts", "example.com", "mx2.example.com", "192.0.2.2", "success")) +
		logLine(at.Add(2*time.Minute), 3, "deferral", sess("sts", "example.com", "mx1.example.com", "192.0.2.1", "certificate-host-mismatch")) +
		logLine(at.Add(3*time.Minute), 4, "success", sess("tlsa", "example.org", "mx.example.org", "2001:db8::25", "success")) +
		logLine(at.Add(4*time.Minute), 5, "success", sess("no-policy-found", "example.org", "mx.example.org", "2001:db8::25", "starttls-not-supported")) +
		logLine(at.Add(5*time.Minute), 6, "success", sess("no-policy-found", "norua.example", "mx.norua.example", "192.0.2.9", "success")) +
		// Not counted: the day before, the day after, a line that is not
		// a delivery, a line without a stamp.
		logLine(day.Add(-time.Second), 7, "success", sess("sts", "example.com", "mx2.example.com", "192.0.2.2", "success")) +
		logLine(day.AddDate(0, 0, 1), 8, "success", sess("sts", "example.com", "mx2.example.com", "192.0.2.2", "success")) +
		tai64.FromTime(at).String() + " starting delivery 9: msg 1 to remote TLS-RPT_policy=sts_domain=example.com_mx=m_ip=192.0.2.1_result=success\n" +
		"delivery 9: success: TLS-RPT_policy=sts_domain=example.com_mx=m_ip=192.0.2.1_result=success/\n"
	logFile := filepath.Join(t.TempDir(), "current")
	os.WriteFile(logFile, []byte(log), 0o644)
	return &reportHome{home: home, queue: q, dns: dns, posts: ps, log: logFile,
		env: []string{"QMAILHOME=" + home, "DNSCACHEIP=" + dns.Addr, "PATH=/usr/bin:/bin"}}
}

func (h *reportHome) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "qmail-tlsrpt"), args...)
	cmd.Env = h.env
	return testbin.Run(t, cmd)
}

// A day of qmail-send's log becomes one report per domain that asks for
// them, mailed through qmail-inject and posted to the https: endpoint;
// the JSON is the golden file's and valid by RFC 8460's schema.
func TestReports(t *testing.T) {
	h := newReportHome(t)
	_, stderr, code := h.run(t, "-d", "2026-03-14", "-o", "Quail Test", h.log)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	queued := h.queue.Queued(t)
	if len(queued) != 2 {
		t.Fatalf("queued %d messages: %q", len(queued), queued)
	}
	byRcpt := map[string]string{}
	for _, q := range queued {
		msg, env, _ := strings.Cut(q, "|")
		if !strings.HasPrefix(env, "Fpostmaster@quail.test\x00T") {
			t.Fatalf("envelope %q", env)
		}
		rcpt := strings.TrimSuffix(strings.TrimPrefix(env, "Fpostmaster@quail.test\x00T"), "\x00\x00")
		byRcpt[rcpt] = msg
	}
	for _, c := range []struct {
		rcpt, domain, golden string
	}{
		{"tls-reports@example.com", "example.com", "example.com.json"},
		{"rua@example.org", "example.org", "example.org.json"},
	} {
		msg, ok := byRcpt[c.rcpt]
		if !ok {
			t.Fatalf("no report to %s: %v", c.rcpt, byRcpt)
		}
		js := reportOf(t, msg, c.domain)
		compareGolden(t, c.golden, js)
		validate(t, js)
	}
	h.posts.mu.Lock()
	defer h.posts.mu.Unlock()
	if len(h.posts.bodies) != 1 || h.posts.ctypes[0] != "application/tlsrpt+gzip" {
		t.Fatalf("posts: %d, %q", len(h.posts.bodies), h.posts.ctypes)
	}
	compareGolden(t, "example.com.json", gunzip(t, h.posts.bodies[0]))
}

// reportOf checks the mail's form (RFC 8460 section 5.3) and returns the
// JSON of its attachment.
func reportOf(t *testing.T, msg, domain string) []byte {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	wantSubject := "Report Domain: " + domain + " Submitter: quail.test Report-ID: <2026-03-14T00:00:00Z_" + domain + "_quail.test>"
	if h.Get("Subject") != wantSubject || h.Get("TLS-Report-Domain") != domain || h.Get("TLS-Report-Submitter") != "quail.test" {
		t.Fatalf("headers %v", h)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "tlsrpt" {
		t.Fatalf("content type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	var js []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p.Header.Get("Content-Type"))
		body, _ := io.ReadAll(p)
		if p.Header.Get("Content-Type") == "application/tlsrpt+gzip" {
			if p.FileName() != "quail.test!"+domain+"!1773446400!1773532799.json.gz" {
				t.Errorf("file name %q", p.FileName())
			}
			raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\n", ""))
			if err != nil {
				t.Fatal(err)
			}
			js = gunzip(t, raw)
		}
	}
	if strings.Join(parts, ",") != "text/plain; charset=us-ascii,application/tlsrpt+gzip" {
		t.Fatalf("parts %q", parts)
	}
	return js
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n%s\nwant\n%s", name, got, want)
	}
}

// validate checks a report against RFC 8460's schema with Python's
// jsonschema (Debian's python3-jsonschema).
func validate(t *testing.T, js []byte) {
	t.Helper()
	if err := runValidator(t, js); err != nil {
		t.Fatalf("not valid by RFC 8460's schema: %v\n%s", err, js)
	}
}

func runValidator(t *testing.T, js []byte) error {
	t.Helper()
	py := testbin.Peer(t, "python3")
	if err := exec.Command(py, "-c", "import jsonschema").Run(); err != nil {
		if os.Getenv("QUAIL_REQUIRE_PEERS") == "1" {
			t.Fatal("python3-jsonschema is not installed (QUAIL_REQUIRE_PEERS=1)")
		}
		t.Skip("python3-jsonschema is not installed")
	}
	f := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(f, js, 0o644)
	cmd := exec.Command(py, "-c", `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[2])), schema, format_checker=jsonschema.FormatChecker())
`, "testdata/rfc8460-schema.json", f)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &validationError{string(out)}
	}
	return nil
}

type validationError struct{ out string }

func (e *validationError) Error() string { return e.out }

// The validator is not a test that cannot fail: reports that break the
// schema are refused.
func TestSchemaRefuses(t *testing.T) {
	for _, bad := range []string{
		`{"organization-name":"x","date-range":{"start-datetime":"2026-03-14T00:00:00Z","end-datetime":"2026-03-14T23:59:59Z"},"contact-info":"x","report-id":"x"}`,
		`{"organization-name":"x","date-range":{"start-datetime":"2026-03-14T00:00:00Z","end-datetime":"2026-03-14T23:59:59Z"},"contact-info":"x","report-id":"x","policies":[{"policy":{"policy-type":"dane","policy-domain":"a"},"summary":{"total-successful-session-count":1,"total-failure-session-count":0}}]}`,
		`{"organization-name":"x","date-range":{"start-datetime":"2026-03-14T00:00:00Z","end-datetime":"2026-03-14T23:59:59Z"},"contact-info":"x","report-id":"x","policies":[{"policy":{"policy-type":"sts","policy-domain":"a"},"summary":{"total-successful-session-count":1,"total-failure-session-count":1},"failure-details":[{"result-type":"success","failed-session-count":1}]}]}`,
		`{"organization-name":"x","date-range":{"start-datetime":"2026-03-14T00:00:00Z","end-datetime":"2026-03-14T23:59:59Z"},"contact-info":"x","report-id":"x","policies":[{"policy":{"policy-type":"sts","policy-domain":"a"},"summary":{"total-successful-session-count":-1,"total-failure-session-count":0}}]}`,
	} {
		if runValidator(t, []byte(bad)) == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// -n prints the reports of every domain in the log, records or not, and
// sends nothing.
func TestPrint(t *testing.T) {
	h := newReportHome(t)
	out, stderr, code := h.run(t, "-n", "-d", "2026-03-14", "-o", "Quail Test", h.log)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if n := strings.Count(out, `"organization-name"`); n != 3 {
		t.Fatalf("%d reports:\n%s", n, out)
	}
	if len(h.queue.Queued(t)) != 0 {
		t.Fatal("-n sent mail")
	}
}

// Standard input is read when no log is named; a failing qmail-inject
// is a temporary failure, after the other reports were tried.
func TestFailures(t *testing.T) {
	h := newReportHome(t)
	h.queue.SetCode(t, 71)
	cmd := exec.Command(testbin.Path(t, "qmail-tlsrpt"), "-d", "2026-03-14")
	cmd.Env = h.env
	in, _ := os.Open(h.log)
	defer in.Close()
	cmd.Stdin = in
	_, stderr, code := testbin.Run(t, cmd)
	if code != 111 || !strings.Contains(stderr, "qmail-tlsrpt: warning: unable to report to example.com: mailto:tls-reports@example.com: ") ||
		!strings.Contains(stderr, "qmail-tlsrpt: warning: unable to report to example.org: ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	h.posts.mu.Lock()
	n := len(h.posts.bodies)
	h.posts.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d posts: the https: endpoint is still sent to", n)
	}
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"-d", "2026-13-01"}, 100, "qmail-tlsrpt: usage: qmail-tlsrpt [ -n ] [ -d day ] [ -o organization ] [ -c contact ] [ -f sender ] [ log ... ]\n"},
		{[]string{"-x"}, 100, "qmail-tlsrpt: usage: qmail-tlsrpt [ -n ] [ -d day ] [ -o organization ] [ -c contact ] [ -f sender ] [ log ... ]\n"},
		{[]string{"/nonexistent/log"}, 111, "qmail-tlsrpt: fatal: unable to read log: open /nonexistent/log: no such file or directory\n"},
	} {
		_, stderr, code := h.run(t, c.args...)
		if code != c.code || stderr != c.err {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr)
		}
	}
}
