// Package tlsreport is qmail-tlsrpt(8): it reads qmail-send's log, counts
// the TLS sessions qmail-remote reported (package tlsrpt) for one UTC
// day, and sends each recipient domain that publishes a TLS-RPT record
// (RFC 8460 section 3) its aggregate report: by mail through qmail-inject
// to the record's mailto: addresses, by HTTPS POST to its https: ones.
//
// Usage: qmail-tlsrpt [ -n ] [ -d day ] [ -o organization ] [ -c contact ]
// [ -f sender ] [ log ... ]
//
// Exit codes: 0 every report was sent (or printed, with -n); 100 usage;
// 111 a temporary failure (a log that cannot be read, DNS, qmail-inject,
// an HTTPS endpoint), after trying every other report.
package tlsreport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/dane"
	"github.com/quail-mta/quail/mta/mtasts"
	"github.com/quail-mta/quail/mta/remote"
	"github.com/quail-mta/quail/mta/tlsrpt"
	"github.com/quail-mta/quail/tai64"
)

const usage = "[ -n ] [ -d day ] [ -o organization ] [ -c contact ] [ -f sender ] [ log ... ]"

// MaxLine bounds a log line; qmail-send's delivery lines carry a report
// of at most a few kilobytes.
const MaxLine = 1 << 20

// options are the command's settings.
type options struct {
	print    bool
	day      tlsrpt.Day
	meta     tlsrpt.Meta
	sender   string
	logs     []string
	home     string
	smtpPort int
}

// Main is qmail-tlsrpt.
func Main(inv *cli.Invocation) int {
	o := options{day: tlsrpt.DayOf(time.Now().AddDate(0, 0, -1))}
	var org, contact, sender string
	p := getopt.New(inv.Args, "nd:o:c:f:")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !ok {
			break
		}
		switch c {
		case 'n':
			o.print = true
		case 'd':
			d, err := tlsrpt.ParseDay(arg)
			if err != nil {
				return inv.Usage(usage)
			}
			o.day = d
		case 'o':
			org = arg
		case 'c':
			contact = arg
		case 'f':
			sender = arg
		}
	}
	o.logs = p.Rest()
	o.home = qmailhome.Dir(inv.Getenv)
	ctl := control.Open(o.home)
	me, err := ctl.Required("me")
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read controls: %v", err)
	}
	if o.smtpPort, err = ctl.Int("smtpport", 25); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read controls: %v", err)
	}
	if sender == "" {
		sender = "postmaster@" + me
	}
	if contact == "" {
		contact = sender
	}
	if org == "" {
		org = me
	}
	o.sender = sender
	o.meta = tlsrpt.Meta{Organization: org, Contact: contact, Submitter: me}

	var counter tlsrpt.Counter
	if err := o.read(inv, &counter); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read log: %v", err)
	}
	res, err := dnsclient.FromEnv(inv.Getenv)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read DNS configuration: %v", err)
	}
	code := 0
	for _, domain := range counter.Domains() {
		if err := o.report(inv, res, &counter, domain); err != nil {
			inv.Warn("unable to report to %s: %v", domain, err)
			code = cli.ExitTemporary
		}
	}
	return code
}

// read counts the sessions of o.day in the logs (standard input when
// none is named).
func (o *options) read(inv *cli.Invocation, c *tlsrpt.Counter) error {
	if len(o.logs) == 0 {
		return o.scan(inv.Stdin, c)
	}
	for _, name := range o.logs {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = o.scan(f, c)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// scan reads one log. The lines that count are qmail-send's delivery
// lines stamped by multilog (a TAI64N label first):
//
//	@4000000065... delivery 17: success: ..._TLS-RPT_policy=sts_domain=.../
//
// whose stamp falls on the day.
func (o *options) scan(r io.Reader, c *tlsrpt.Counter) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	for sc.Scan() {
		line := sc.Bytes()
		l, n, err := tai64.ParseText(line)
		if err != nil || n < len(line) && line[n] != ' ' {
			continue
		}
		if !o.day.Contains(l.Time()) {
			continue
		}
		rest := string(line[n:])
		rest = strings.TrimPrefix(rest, " ")
		if !strings.HasPrefix(rest, "delivery ") {
			continue
		}
		for _, s := range tlsrpt.Sessions(rest) {
			c.Add(s)
		}
	}
	return sc.Err()
}

// report sends domain its report, or prints it with -n.
func (o *options) report(inv *cli.Invocation, res *dnsclient.Resolver, c *tlsrpt.Counter, domain string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep := c.Report(domain, o.day, o.meta, func(typ, policyDomain string) []string { return o.policyString(ctx, res, typ, policyDomain) })
	if o.print {
		_, err := inv.Stdout.Write(rep.JSON())
		return err
	}
	txts, err := res.TXT(ctx, tlsrpt.RecordName(domain))
	if err != nil {
		if errors.Is(err, dnsclient.ErrNotFound) {
			return nil // the domain wants no reports
		}
		return err
	}
	rec, err := tlsrpt.FindRecord(txts)
	if err != nil {
		return nil // no record, or none usable: no reports
	}
	var failed []string
	for _, uri := range rec.RUA {
		var err error
		if addr := tlsrpt.MailAddress(uri); addr != "" {
			err = o.mail(inv, addr, domain, rep)
		} else if strings.HasPrefix(strings.ToLower(uri), "https:") {
			err = o.post(ctx, res, uri, rep)
		} else {
			continue
		}
		if err != nil {
			failed = append(failed, uri+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// policyString is a policy's text for the report: the MTA-STS policy as
// cached by qmail-remote, the TLSA records as DNS has them now.
func (o *options) policyString(ctx context.Context, res *dnsclient.Resolver, typ, policyDomain string) []string {
	switch typ {
	case tlsrpt.PolicySTS:
		c := &mtasts.Cache{Dir: remote.CacheDir(o.home)}
		if e := c.Get(policyDomain); e != nil {
			return e.Policy.Lines()
		}
	case tlsrpt.PolicyTLSA:
		st, recs, _ := dane.Lookup(ctx, res, policyDomain, o.smtpPort)
		if st == dane.Authenticated || st == dane.Unauthenticated {
			out := make([]string, len(recs))
			for i, r := range recs {
				out[i] = r.String()
			}
			return out
		}
	}
	return nil
}

// message is the report as mail (RFC 8460 section 5.3): a
// multipart/report of type tlsrpt, a line of text and the gzipped JSON.
func (o *options) message(to, domain string, rep tlsrpt.Report) []byte {
	boundary := "tlsrpt-" + strings.NewReplacer(":", "", "_", "-", ".", "-").Replace(rep.ReportID)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\n", o.sender)
	fmt.Fprintf(&b, "To: %s\n", to)
	fmt.Fprintf(&b, "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\n", domain, o.meta.Submitter, rep.ReportID)
	fmt.Fprintf(&b, "TLS-Report-Domain: %s\n", domain)
	fmt.Fprintf(&b, "TLS-Report-Submitter: %s\n", o.meta.Submitter)
	b.WriteString("MIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"%s\"\n\n", boundary)
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=us-ascii\n\n", boundary)
	fmt.Fprintf(&b, "This is the TLS report (RFC 8460) of %s for mail to %s on %s.\n\n", o.meta.Submitter, domain, o.day)
	fmt.Fprintf(&b, "--%s\nContent-Type: application/tlsrpt+gzip\nContent-Transfer-Encoding: base64\n", boundary)
	fmt.Fprintf(&b, "Content-Disposition: attachment; filename=\"%s\"\n\n", tlsrpt.FileName(o.meta, domain, o.day))
	enc := base64.StdEncoding.EncodeToString(rep.Gzip())
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
	fmt.Fprintf(&b, "--%s--\n", boundary)
	return b.Bytes()
}

// mail queues the report for addr with qmail-inject.
func (o *options) mail(inv *cli.Invocation, addr, domain string, rep tlsrpt.Report) error {
	cmd := exec.Command(filepath.Join(o.home, "bin", "qmail-inject"), "-f"+o.sender, "-a", "--", addr)
	cmd.Env = inv.Env
	cmd.Stdin = bytes.NewReader(o.message(addr, domain, rep))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return errors.New(msg)
		}
		return err
	}
	return nil
}

// post sends the report to an https: endpoint (RFC 8460 section
// 5.3.2): a POST of the gzipped JSON; any 2xx answer is a success. The
// endpoint's certificate is verified against the system's roots, or
// control/mtastsca.pem when it exists; its name is looked up through the
// same DNS as everything else.
func (o *options) post(ctx context.Context, res *dnsclient.Resolver, uri string, rep tlsrpt.Report) error {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if pem, err := os.ReadFile(filepath.Join(o.home, "control", "mtastsca.pem")); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cfg.RootCAs = pool
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips := []netip.Addr{}
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = append(ips, ip)
		} else if ips, err = res.IP(ctx, host); err != nil {
			return nil, err
		}
		var d net.Dialer
		lastErr := errors.New("no address")
		for _, ip := range ips {
			c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			lastErr = err
		}
		return nil, lastErr
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: cfg, Proxy: nil, DisableKeepAlives: true, DialContext: dial},
		Timeout:   time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("redirected")
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(rep.Gzip()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/tlsrpt+gzip")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
