package tlsconf

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// The keys in testdata are one EC key, plain (key.pem) and encrypted by
// OpenSSL 3.0 with the password "secret": openssl pkcs8 -topk8 -v2 CIPHER
// -v2prf PRF for the PBES2 ones, openssl ec -aes256 for the traditional
// one, -scrypt for the one we do not support.

func keyDER(t *testing.T, pemData []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(pemData)
	if b == nil {
		t.Fatalf("no PEM block in %q", pemData)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		ec, err2 := x509.ParseECPrivateKey(b.Bytes)
		if err2 != nil {
			t.Fatalf("not a key: %v, %v", err, err2)
		}
		k = ec
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestDecryptKeys(t *testing.T) {
	plain, err := os.ReadFile(filepath.Join("testdata", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	want := keyDER(t, plain)
	cases := []struct {
		file, password, wantErr string
	}{
		{"key-aes256-sha256.pem", "secret", ""},
		{"key-aes128-sha512.pem", "secret", ""},
		{"key-des3-sha1.pem", "secret", ""},
		{"key-traditional.pem", "secret", ""},
		{"key.pem", "secret", ""}, // not encrypted: kept as it is
		{"key-aes256-sha256.pem", "wrong", "bad password"},
		{"key-des3-sha1.pem", "", "bad password"},
		{"key-traditional.pem", "wrong", "unable to decrypt key"},
		{"key-scrypt.pem", "secret", "unsupported key derivation"},
	}
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecryptKeys(data, []byte(c.password))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s with %q: got %v, want an error about %q", c.file, c.password, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !bytes.Equal(keyDER(t, got), want) {
			t.Errorf("%s: decrypted to another key", c.file)
		}
	}
}

func TestReadPassword(t *testing.T) {
	cases := []struct{ why, in, want string }{
		{"NUL-terminated", "secret\x00junk", "secret"},
		{"up to the end", "secret", "secret"},
		{"empty", "\x00", ""},
		{"a newline is part of it", "secret\n", "secret\n"},
	}
	for _, c := range cases {
		got, err := ReadPassword(iotest.OneByteReader(strings.NewReader(c.in)))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %q, %v", c.why, got, err)
		}
	}
	if _, err := ReadPassword(strings.NewReader(strings.Repeat("x", MaxPassword+1))); err == nil {
		t.Errorf("a password longer than %d bytes was read", MaxPassword)
	}
}

// FuzzDecryptKeys: whatever the key file holds, decryption returns an
// error or PEM data, never panics, and gives back unencrypted blocks
// unchanged.
func FuzzDecryptKeys(f *testing.F) {
	for _, name := range []string{"key.pem", "key-aes256-sha256.pem", "key-des3-sha1.pem", "key-traditional.pem", "key-scrypt.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte("secret"))
	}
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"), []byte(""))
	f.Fuzz(func(t *testing.T, data, password []byte) {
		out, err := DecryptKeys(data, password)
		if err != nil {
			return
		}
		for rest := out; ; {
			b, next := pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type == "ENCRYPTED PRIVATE KEY" {
				t.Fatalf("an encrypted block survived: %q", out)
			}
			rest = next
		}
	})
}
