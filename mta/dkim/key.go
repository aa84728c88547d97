package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyType is a key's k= value.
type KeyType string

// The key types of RFC 6376 and RFC 8463.
const (
	RSA     KeyType = "rsa"
	Ed25519 KeyType = "ed25519"
)

// MinRSABits is the smallest RSA key a verifier takes (RFC 8301 section
// 3.2: 1024 bits, signers use 2048 or more).
const MinRSABits = 1024

// Key is a public key record (RFC 6376 section 3.6.1).
type Key struct {
	Type     KeyType
	Public   crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey; nil when revoked
	Hashes   []string         // h=: acceptable hashes, nil for any
	Services []string         // s=: "*" or "email"
	Testing  bool             // t=y
	Strict   bool             // t=s: i= must be in d= itself, not a subdomain
	Notes    string           // n=
}

// errRevoked is a key record with an empty p=.
var errRevoked = errors.New("key revoked")

// ParseKey reads a key record as published in DNS TXT. It refuses a
// record of another version, an unknown key type, a key that does not
// decode, and an RSA key under MinRSABits; an empty p= gives errRevoked.
// Unknown tags are ignored (section 3.6.1).
func ParseKey(txt string) (*Key, error) {
	ts, err := ParseTags(txt)
	if err != nil {
		return nil, err
	}
	if v, ok := ts.Get("v"); ok && (v != "DKIM1" || ts[0].Name != "v") {
		return nil, fmt.Errorf("key record version %q", v)
	}
	k := &Key{Type: RSA}
	if v, ok := ts.Get("k"); ok {
		k.Type = KeyType(strings.ToLower(v))
	}
	if v, ok := ts.Get("h"); ok {
		k.Hashes = splitList(v)
	}
	k.Services = []string{"*"}
	if v, ok := ts.Get("s"); ok {
		k.Services = splitList(v)
	}
	if v, ok := ts.Get("t"); ok {
		for _, f := range splitList(v) {
			switch f {
			case "y":
				k.Testing = true
			case "s":
				k.Strict = true
			}
		}
	}
	k.Notes, _ = ts.Get("n")
	p, ok := ts.Get("p")
	if !ok {
		return nil, errors.New("key record without p=")
	}
	p = stripFWS(p)
	if p == "" {
		return k, errRevoked
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("key does not decode: %v", err)
	}
	switch k.Type {
	case RSA:
		pub, err := parseRSAPublic(der)
		if err != nil {
			return nil, err
		}
		if pub.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("RSA key of %d bits, under %d", pub.N.BitLen(), MinRSABits)
		}
		k.Public = pub
	case Ed25519:
		if len(der) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ed25519 key of %d bytes", len(der))
		}
		k.Public = ed25519.PublicKey(der)
	default:
		return nil, fmt.Errorf("unknown key type %q", k.Type)
	}
	return k, nil
}

// parseRSAPublic takes a SubjectPublicKeyInfo (what RFC 6376 publishes)
// or a bare RSAPublicKey (what some old tools published).
func parseRSAPublic(der []byte) (*rsa.PublicKey, error) {
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		if r, ok := pub.(*rsa.PublicKey); ok {
			return r, nil
		}
		return nil, errors.New("k=rsa but the key is not RSA")
	}
	if r, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return r, nil
	}
	return nil, errors.New("RSA key does not parse")
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ":") {
		if f = strings.ToLower(stripFWS(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (k *Key) allowsHash(h string) bool {
	if k.Hashes == nil {
		return true
	}
	for _, x := range k.Hashes {
		if x == h {
			return true
		}
	}
	return false
}

func (k *Key) forEmail() bool {
	for _, s := range k.Services {
		if s == "*" || s == "email" {
			return true
		}
	}
	return false
}

// ParsePrivateKey reads a PEM private key: RSA in PKCS #1 ("RSA PRIVATE
// KEY", what openssl genrsa and s/qmail's key script write) or PKCS #8
// ("PRIVATE KEY": RSA or Ed25519, what openssl genpkey and dknewkey(8)
// write).
func ParsePrivateKey(b []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM private key")
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			switch k := k.(type) {
			case *rsa.PrivateKey:
				return k, nil
			case ed25519.PrivateKey:
				return k, nil
			}
			return nil, errors.New("private key is neither RSA nor Ed25519")
		}
	}
}

// KeyRecord is the TXT record that publishes the public half of key:
// "v=DKIM1; k=rsa; p=..." (the SubjectPublicKeyInfo) or "v=DKIM1;
// k=ed25519; p=..." (the 32 bytes of RFC 8463 section 4).
func KeyRecord(key crypto.Signer) (string, error) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", errors.New("key is neither RSA nor Ed25519")
}
