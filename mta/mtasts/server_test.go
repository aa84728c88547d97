package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// policyServer is an HTTPS server on loopback that answers for
// mta-sts.<domain> with what the test sets, counting requests.
type policyServer struct {
	srv   *httptest.Server
	ca    *testbin.CA
	mu    sync.Mutex
	reply func(w http.ResponseWriter, r *http.Request)
	hits  int
	paths []string
}

// startPolicyServer serves with a certificate the test CA issued for
// names.
func startPolicyServer(t *testing.T, ca *testbin.CA, names ...string) *policyServer {
	t.Helper()
	ps := &policyServer{ca: ca}
	ps.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		ps.hits++
		ps.paths = append(ps.paths, r.Host+r.URL.Path)
		reply := ps.reply
		ps.mu.Unlock()
		reply(w, r)
	}))
	ps.srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, names).TLS()}}
	ps.srv.StartTLS()
	t.Cleanup(ps.srv.Close)
	return ps
}

// serve sets what the server answers: a body of content type ctype.
func (ps *policyServer) serve(ctype, body string) {
	ps.set(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Write([]byte(body))
	})
}

func (ps *policyServer) set(f func(w http.ResponseWriter, r *http.Request)) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.reply = f
}

func (ps *policyServer) Hits() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.hits
}

// fetcher fetches from the server, trusting roots.
func (ps *policyServer) fetcher(roots *x509.CertPool) *Fetcher {
	_, port, _ := net.SplitHostPort(ps.srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return &Fetcher{
		Roots: roots,
		Port:  p,
		Lookup: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
	}
}

func pool(cas ...*testbin.CA) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AppendCertsFromPEM(ca.CertPEM())
	}
	return p
}

const goodPolicy = "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n"
