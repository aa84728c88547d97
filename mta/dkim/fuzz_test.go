package dkim

import (
	"context"
	"os"
	"strings"
	"testing"
)

// ParseTags never panics, and what it returns points into its input.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{
		"v=1; a=rsa-sha256; d=example.org; s=sel;\r\n\th=from:to; bh=abc=; b=de\r\n f=",
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"a=;", ";;", "=x", "a=b;a=c", "9=1", "a = b ; c\t=\td ;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTags(s)
		if err != nil {
			return
		}
		for _, tg := range ts {
			if tg.Start > tg.End || tg.End > len(s) || s[tg.Start:tg.End] != tg.Value {
				t.Fatalf("%q: tag %+v does not point at its value", s, tg)
			}
		}
	})
}

// ParseKey never panics, and never hands back an RSA key under 1024 bits.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
		"v=DKIM1; p=", "k=rsa; t=y:s; h=sha1:sha256; s=email; p=AAAA", "v=DKIM2; p=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil || k == nil {
			return
		}
		if k.Public == nil {
			t.Fatalf("%q: a key without a public key", s)
		}
	})
}

// Verify never panics on any message, whatever its signature fields say,
// and gives one result per DKIM-Signature field.
func FuzzVerify(f *testing.F) {
	rfc, _ := os.ReadFile("testdata/rfc8463.eml")
	f.Add(rfc)
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=\nFrom: a\n\nbody"))
	f.Add([]byte("DKIM-Signature: v=1; a=ed25519-sha256; c=simple; d=football.example.com; s=brisbane; l=3; h=from:from; bh=AAAA; b=AAAA\nFrom: x\n"))
	f.Add([]byte("From: a\r\n\r\n"))
	dns := mapDNS{
		"brisbane._domainkey.football.example.com": {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		vs := Verify(context.Background(), dns, msg)
		fields, _, _ := Split(msg)
		n := 0
		for _, fl := range fields {
			if fl.Is("DKIM-Signature") {
				n++
			}
		}
		if len(vs) != n {
			t.Fatalf("%d results for %d signatures", len(vs), n)
		}
		for _, v := range vs {
			if v.Result == Pass && !strings.Contains(string(msg), "b=") {
				t.Fatalf("a pass without a signature: %+v", v)
			}
		}
	})
}
