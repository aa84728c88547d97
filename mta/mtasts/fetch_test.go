package mtasts

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/tlsrpt"
)

// Fetch as RFC 8461 section 3.3 asks, each refusal with its TLS-RPT
// result type.
func TestFetch(t *testing.T) {
	ca := testbin.NewCA(t, "Test CA")
	other := testbin.NewCA(t, "Other CA")
	ps := startPolicyServer(t, ca, "mta-sts.example.test")
	cases := []struct {
		why    string
		domain string
		trust  *testbin.CA
		reply  func(w http.ResponseWriter, r *http.Request)
		result string // "" for a policy
	}{
		{"a policy", "example.test", ca, text("text/plain", goodPolicy), ""},
		{"text/plain with a charset", "example.test", ca, text("text/plain; charset=utf-8", goodPolicy), ""},
		{"another content type", "example.test", ca, text("text/html", goodPolicy), tlsrpt.STSPolicyFetch},
		{"no content type", "example.test", ca, func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			w.Write([]byte{0, 1, 2})
		}, tlsrpt.STSPolicyFetch},
		{"not found", "example.test", ca, func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, tlsrpt.STSPolicyFetch},
		{"a redirect is not followed", "example.test", ca, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://mta-sts.example.test/elsewhere", http.StatusFound)
		}, tlsrpt.STSPolicyFetch},
		{"too long", "example.test", ca, text("text/plain", goodPolicy+strings.Repeat("x: y\n", MaxPolicyBytes/5)), tlsrpt.STSPolicyFetch},
		{"not a policy", "example.test", ca, text("text/plain", "hello\n"), tlsrpt.STSPolicyInvalid},
		{"a certificate from a CA not trusted", "example.test", other, text("text/plain", goodPolicy), tlsrpt.STSWebPKIInvalid},
		{"a certificate for another host", "other.test", ca, text("text/plain", goodPolicy), tlsrpt.STSWebPKIInvalid},
	}
	for _, c := range cases {
		ps.set(c.reply)
		p, err := ps.fetcher(pool(c.trust)).Fetch(context.Background(), c.domain)
		if c.result == "" {
			if err != nil || p.Mode != Enforce {
				t.Errorf("%s: %+v, %v", c.why, p, err)
			}
			continue
		}
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Result != c.result {
			t.Errorf("%s: %v, want %s", c.why, err, c.result)
		}
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.paths[0] != "mta-sts.example.test/.well-known/mta-sts.txt" {
		t.Errorf("asked for %q", ps.paths[0])
	}
}

func text(ctype, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Write([]byte(body))
	}
}

// A policy host that accepts and then says nothing costs the timeout,
// no more.
func TestFetchTimeout(t *testing.T) {
	ca := testbin.NewCA(t, "Test CA")
	ps := startPolicyServer(t, ca, "mta-sts.example.test")
	block := make(chan struct{})
	defer close(block)
	ps.set(func(http.ResponseWriter, *http.Request) { <-block })
	f := ps.fetcher(pool(ca))
	f.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, err := f.Fetch(context.Background(), "example.test")
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Result != tlsrpt.STSPolicyFetch {
		t.Fatalf("%v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}
