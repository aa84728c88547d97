package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"sync"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
)

// mapDNS answers TXT lookups from a map; a name missing is NXDOMAIN.
type mapDNS map[string][]string

func (m mapDNS) TXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[strings.ToLower(name)]; ok {
		return v, nil
	}
	return nil, dnsclient.ErrNotFound
}

type signerKey = crypto.Signer

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
	edKey   ed25519.PrivateKey
)

// testKeys returns one RSA-2048 and one Ed25519 key for the whole run.
func testKeys(t testing.TB) (*rsa.PrivateKey, ed25519.PrivateKey) {
	keyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		_, edKey, _ = ed25519.GenerateKey(rand.Reader)
	})
	return rsaKey, edKey
}

func record(t testing.TB, k signerKey) string {
	t.Helper()
	s, err := KeyRecord(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
