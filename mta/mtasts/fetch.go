package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/quail-mta/quail/mta/tlsrpt"
)

// Limits of a policy fetch. RFC 8461 section 3.3 leaves them to the
// sender; these are generous for a file of a few lines.
const (
	MaxPolicyBytes = 64 << 10
	FetchTimeout   = 20 * time.Second
)

// WellKnown is the path of the policy on the policy host.
const WellKnown = "/.well-known/mta-sts.txt"

// PolicyHost is the host that serves domain's policy.
func PolicyHost(domain string) string { return "mta-sts." + domain }

// Fetcher fetches policies over HTTPS.
type Fetcher struct {
	// Roots are the trust anchors for the policy host's certificate; nil
	// means the system's.
	Roots *x509.CertPool
	// Port is the policy host's port; 0 means 443. Only test setups and
	// policy hosts behind a port mapping need another.
	Port int
	// Lookup gives the policy host's addresses. The fetch goes to them
	// in order, through the same DNS as the rest of the delivery.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Timeout bounds the whole fetch; 0 means FetchTimeout.
	Timeout time.Duration
}

// FetchError is a failed fetch, with its TLS-RPT result type:
// sts-webpki-invalid when the policy host's certificate did not verify,
// sts-policy-invalid when the policy did not parse, sts-policy-fetch-error
// otherwise.
type FetchError struct {
	Result string
	Err    error
}

func (e *FetchError) Error() string { return e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

// Fetch gets and parses domain's policy.
func (f *Fetcher) Fetch(ctx context.Context, domain string) (*Policy, error) {
	text, err := f.fetchText(ctx, domain)
	if err != nil {
		result := tlsrpt.STSPolicyFetch
		var ve *tls.CertificateVerificationError
		if errors.As(err, &ve) {
			result = tlsrpt.STSWebPKIInvalid
		}
		return nil, &FetchError{Result: result, Err: err}
	}
	p, err := ParsePolicy(text)
	if err != nil {
		return nil, &FetchError{Result: tlsrpt.STSPolicyInvalid, Err: err}
	}
	return p, nil
}

var errRedirect = errors.New("the policy host answered with a redirect, which must not be followed")

func (f *Fetcher) fetchText(ctx context.Context, domain string) (string, error) {
	timeout := f.Timeout
	if timeout == 0 {
		timeout = FetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := f.Port
	if port == 0 {
		port = 443
	}
	host := PolicyHost(domain)
	tr := &http.Transport{
		Proxy:             nil, // the policy host itself, never a proxy
		DisableKeepAlives: true,
		ForceAttemptHTTP2: false,
		TLSClientConfig:   &tls.Config{RootCAs: f.Roots, ServerName: host, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			ips, err := f.Lookup(ctx, host)
			if err != nil {
				return nil, err
			}
			var d net.Dialer
			lastErr := errors.New("no address")
			for _, ip := range ips {
				c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(port)))
				if err == nil {
					return c, nil
				}
				lastErr = err
			}
			return nil, lastErr
		},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 16 << 10,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+WellKnown, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			return "", errRedirect
		}
		return "", fmt.Errorf("the policy host answered %s", resp.Status)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" {
		return "", fmt.Errorf("the policy is of type %q, not text/plain", resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicyBytes+1))
	if err != nil {
		return "", err
	}
	if len(body) > MaxPolicyBytes {
		return "", fmt.Errorf("the policy is longer than %d bytes", MaxPolicyBytes)
	}
	return string(body), nil
}
