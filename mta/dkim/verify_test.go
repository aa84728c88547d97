package dkim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
)

// RFC 8463 appendix A: the example message, signed with Ed25519 and
// RSA, verifies with the keys published in A.2; and the Ed25519 one is
// what Ed25519's determinism makes of the RFC 8032 section 7.1 key.
func TestRFC8463Example(t *testing.T) {
	msg, err := os.ReadFile("testdata/rfc8463.eml")
	if err != nil {
		t.Fatal(err)
	}
	dns := mapDNS{
		"brisbane._domainkey.football.example.com": {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
		"test._domainkey.football.example.com": {"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" +
			"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" +
			"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" +
			"Ip3G+2kryOTIKT+l/K4w3QIDAQAB"},
	}
	for _, form := range []string{string(msg), strings.ReplaceAll(string(msg), "\r\n", "\n")} {
		vs := Verify(context.Background(), dns, []byte(form))
		if len(vs) != 2 {
			t.Fatalf("%d results", len(vs))
		}
		for i, want := range []Verification{
			{Domain: "football.example.com", Selector: "brisbane", Identity: "@football.example.com", Algorithm: "ed25519-sha256", Result: Pass, BodyLength: -1,
				Signature: "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=="},
			{Domain: "football.example.com", Selector: "test", Identity: "@football.example.com", Algorithm: "rsa-sha256", Result: Pass, BodyLength: -1},
		} {
			got := vs[i]
			if i == 1 {
				got.Signature = ""
			}
			if got != want {
				t.Errorf("signature %d:\n got %+v\nwant %+v", i, got, want)
			}
		}
	}
	seed, _ := base64.StdEncoding.DecodeString("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
	if pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey); base64.StdEncoding.EncodeToString(pub) != "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" {
		t.Errorf("RFC 8032 7.1 seed gives %x", pub)
	}
}

// signed returns msg signed by a test key with the tags changed by
// edit, which works on the unsigned field text before b= is computed:
// how tests make signatures quail would never write (l=, x=, rsa-sha1).
func signedWith(t *testing.T, s *Signer, msg string) string {
	t.Helper()
	h, err := s.Sign([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return string(h) + msg
}

// Each way a signature can be unusable gives its result and reason.
func TestVerifyResults(t *testing.T) {
	rk, ek := testKeys(t)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	msg := "From: a@example.org\nTo: b@example.net\nSubject: s\n\nline one\nline two\n"
	good := &Signer{Domain: "example.org", Selector: "rsa", Key: rk}
	base := signedWith(t, good, msg)
	now := time.Unix(1700000000, 0)
	dns := mapDNS{
		"rsa._domainkey.example.org":       {record(t, rk)},
		"ed._domainkey.example.org":        {record(t, ek)},
		"revoked._domainkey.example.org":   {"v=DKIM1; p="},
		"testing._domainkey.example.org":   {"v=DKIM1; t=y; " + strings.TrimPrefix(record(t, rk), "v=DKIM1; ")},
		"strict._domainkey.example.org":    {"v=DKIM1; t=s; " + strings.TrimPrefix(record(t, rk), "v=DKIM1; ")},
		"sha1only._domainkey.example.org":  {"v=DKIM1; h=sha1; " + strings.TrimPrefix(record(t, rk), "v=DKIM1; ")},
		"web._domainkey.example.org":       {"v=DKIM1; s=web; " + strings.TrimPrefix(record(t, rk), "v=DKIM1; ")},
		"garbage._domainkey.example.org":   {"this is not a key", "v=DKIM2; p=AAAA"},
		"wrongtype._domainkey.example.org": {record(t, ek)},
	}
	dns["tiny._domainkey.example.org"] = []string{tinyRecord(t)}
	dns["small._domainkey.example.org"] = []string{mustRecord(t, small)}
	v := &Verifier{DNS: tempDNS{dns, "down._domainkey.example.org"}, Now: func() time.Time { return now }}

	resign := func(sel string, key signerKey, id string, mutate func(string) string) string {
		// Sign with a hand-made field: build one with Signer, then edit
		// its tags and sign again by hand.
		s := &Signer{Domain: "example.org", Selector: sel, Key: rk, Identity: id, Now: func() time.Time { return now }}
		if sel == "ed" {
			s.Key = ek
		}
		var with signerKey
		if k, ok := key.(*rsa.PrivateKey); ok && k != rk {
			with = key
		}
		return mutateSign(t, s, msg, mutate, with)
	}
	for _, c := range []struct {
		why    string
		msg    string
		result Result
		reason string
	}{
		{"a good signature passes", base, Pass, ""},
		{"a changed header fails", strings.Replace(base, "Subject: s", "Subject: t", 1), Fail, "signature did not verify"},
		{"a changed body fails", base + "more\n", Fail, "body hash did not verify"},
		{"trailing blank lines do not matter", base + "\n\n", Pass, ""},
		{"no key at all", resign("nokey", rk, "", nil), PermError, "no key for nokey._domainkey.example.org"},
		{"a lookup that fails for now", resign("down", rk, "", nil), TempError, "key lookup failed for down._domainkey.example.org"},
		{"a revoked key", resign("revoked", rk, "", nil), PermError, "key revoked"},
		{"records that are not keys", resign("garbage", rk, "", nil), PermError, "key record: key record version \"DKIM2\""},
		{"an Ed25519 key for an RSA signature", resign("wrongtype", rk, "", nil), PermError, "key is ed25519, signature rsa-sha256"},
		{"a key under 1024 bits is refused (RFC 8301)", resign("tiny", rk, "", nil), PermError, "key record: RSA key of 768 bits, under 1024"},
		{"a 1024-bit key is still taken", resign("small", small, "", nil), Pass, ""},
		{"a key for sha1 only", resign("sha1only", rk, "", nil), PermError, "key does not allow sha256"},
		{"a key for another service", resign("web", rk, "", nil), PermError, "key is not for email"},
		{"t=s with a subdomain i=", resign("strict", rk, "@sub.example.org", nil), PermError, "key is t=s but i= is a subdomain of d="},
		{"t=s with i= in d=", resign("strict", rk, "user@example.org", nil), Pass, ""},
		{"i= outside d=", resign("rsa", rk, "@example.com", nil), PermError, "i= not within d="},
		{"rsa-sha1 fails (RFC 8301)", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "a=rsa-sha256", "a=rsa-sha1", 1) }), Fail, "rsa-sha1 is not accepted (RFC 8301)"},
		{"an unknown algorithm", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "a=rsa-sha256", "a=rsa-sha512", 1) }), PermError, "unknown algorithm rsa-sha512"},
		{"expired", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "t=1700000000;", "x=1600000000; t=1700000000;", 1) }), PermError, "x= before t="},
		{"x= in the past", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "t=1700000000;", "t=1600000000; x=1690000000;", 1) }), PermError, "signature expired"},
		{"x= in the future", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "t=1700000000;", "t=1700000000; x=1800000000;", 1) }), Pass, ""},
		{"From not signed", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "h=from:from:", "h=", 1) }), PermError, "From field not signed"},
		{"version 2", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "v=1;", "v=2;", 1) }), PermError, "signature version is not 1"},
		{"a tag twice", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "v=1;", "v=1; d=example.org;", 1) }), PermError, "signature does not parse"},
		{"unknown query method", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "v=1;", "v=1; q=http;", 1) }), PermError, "query method http not supported"},
		{"unknown canonicalization", resign("rsa", rk, "", func(f string) string { return strings.Replace(f, "c=relaxed/relaxed", "c=loose", 1) }), PermError, "unknown canonicalization \"loose\""},
		{"l= covers what was signed; more may follow", lengthSigned(t, rk, msg, 9, now) + "appended\n", Pass, ""},
		{"l= longer than the body", lengthSigned(t, rk, msg, 400, now), PermError, "l= longer than the body"},
		{"ed25519 passes", resign("ed", ek, "", nil), Pass, ""},
	} {
		vs := v.Verify(context.Background(), []byte(c.msg))
		if len(vs) != 1 || vs[0].Result != c.result || vs[0].Reason != c.reason {
			t.Errorf("%s: got %+v, want %s %q", c.why, vs, c.result, c.reason)
		}
	}
}

// tempDNS is mapDNS with one name whose lookups fail temporarily.
type tempDNS struct {
	mapDNS
	down string
}

func (d tempDNS) TXT(ctx context.Context, name string) ([]string, error) {
	if name == d.down {
		return nil, &dnsclient.Error{Name: name, Err: context.DeadlineExceeded}
	}
	return d.mapDNS.TXT(ctx, name)
}

func mustRecord(t *testing.T, k *rsa.PrivateKey) string {
	s, err := KeyRecord(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tinyRecord publishes a 768-bit RSA key, which Go will not generate.
func tinyRecord(t *testing.T) string {
	p, _ := rand.Prime(rand.Reader, 384)
	q, _ := rand.Prime(rand.Reader, 384)
	der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	return "v=DKIM1; p=" + base64.StdEncoding.EncodeToString(der)
}

// mutateSign signs msg as s would, with the field's text first changed
// by mutate (nil: unchanged) and the signature made with key (nil: s's):
// how tests make the signatures quail never writes.
func mutateSign(t *testing.T, s *Signer, msg string, mutate func(string) string, key signerKey) string {
	t.Helper()
	h, err := s.Sign([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if mutate == nil && key == nil {
		return string(h) + msg
	}
	if mutate == nil {
		mutate = func(f string) string { return f }
	}
	if key == nil {
		key = s.Key
	}
	field := string(h)
	unsigned := mutate(field[:strings.LastIndex(field, "b=")+2])
	ts, err := ParseTags(unsigned[strings.IndexByte(unsigned, ':')+1:])
	hc := Relaxed
	hl := ""
	if err == nil {
		cv, _ := ts.Get("c")
		if c, _, err := parseCanon(cv); err == nil {
			hc = c
		}
		hl, _ = ts.Get("h")
	}
	fields, _, _ := Split([]byte(msg))
	hh := sha256.New()
	hashHeaders(hh, fields, splitList(hl), hc)
	hashSigField(hh, []byte(unsigned), hc)
	sig, err := signDigest(key, hh.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return unsigned + base64.StdEncoding.EncodeToString(sig) + "\n" + msg
}

// lengthSigned signs msg with l=n, its body hash over the first n bytes
// of the canonical body.
func lengthSigned(t *testing.T, k signerKey, msg string, n int64, now time.Time) string {
	_, body, _ := Split([]byte(msg))
	bh := sha256.New()
	hashBody(bh, body, Relaxed, n)
	s := &Signer{Domain: "example.org", Selector: "rsa", Key: k, Now: func() time.Time { return now }}
	return mutateSign(t, s, msg, func(f string) string {
		i := strings.Index(f, "bh=")
		j := i + strings.IndexByte(f[i:], ';')
		return f[:i] + "l=" + strconv.FormatInt(n, 10) + "; bh=" + base64.StdEncoding.EncodeToString(bh.Sum(nil)) + f[j:]
	}, nil)
}
