package dkim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// The messages every interoperability test signs and verifies: the
// cases the issue names (8-bit bodies, folded and repeated headers,
// empty bodies, trailing blank lines and whitespace).
var interopMessages = []struct{ name, text string }{
	{"plain", "From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: plain\nDate: Tue, 2 Jan 2024 10:00:00 +0000\nMessage-ID: <1@example.org>\n\nHello Bob.\n"},
	{"8bit", "From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\nTo: bob@example.net\nSubject: caf\xc3\xa9\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln \xe2\x82\xac\n"},
	{"folded-repeated", "Received: from a by b; Tue, 2 Jan 2024 10:00:00 +0000\nReceived: from c\n\tby d; Tue, 2 Jan 2024 10:00:01 +0000\nFrom: alice@example.org\nTo: bob@example.net,\n  carol@example.net\nTo: dave@example.net\nSubject:   a  subject\n  folded\tover   lines   \nDate: Tue, 2 Jan 2024 10:00:00 +0000\n\nline  with   spaces   \n\ttabbed\n\n\n\n"},
	{"empty-body", "From: alice@example.org\nTo: bob@example.net\nSubject: empty\n\n"},
	{"header-only", "From: alice@example.org\nTo: bob@example.net\nSubject: no body at all\n"},
}

var canons = [][2]Canon{{Relaxed, Relaxed}, {Simple, Simple}, {Relaxed, Simple}, {Simple, Relaxed}}

type peerKeys struct {
	rsa    *rsa.PrivateKey
	ed     ed25519.PrivateKey
	dir    string
	rsaPEM string // PKCS #1, for python3-dkim and Mail::DKIM
	edSeed string // base64 seed, python3-dkim's form
	zone   string // the zone file pydkim.py reads
	dns    mapDNS
}

func newPeerKeys(t *testing.T) *peerKeys {
	rk, ek := testKeys(t)
	k := &peerKeys{rsa: rk, ed: ek, dir: t.TempDir()}
	k.rsaPEM = filepath.Join(k.dir, "rsa.pem")
	os.WriteFile(k.rsaPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), 0o600)
	k.edSeed = filepath.Join(k.dir, "ed.seed")
	os.WriteFile(k.edSeed, []byte(base64.StdEncoding.EncodeToString(ek.Seed())), 0o600)
	k.dns = mapDNS{
		"rsa._domainkey.example.org": {record(t, rk)},
		"ed._domainkey.example.org":  {record(t, ek)},
	}
	var z strings.Builder
	for n, v := range k.dns {
		fmt.Fprintf(&z, "%s\t%s\n", n, v[0])
	}
	k.zone = filepath.Join(k.dir, "zone")
	os.WriteFile(k.zone, []byte(z.String()), 0o644)
	return k
}

// zoneText is the key records in master-file form, for dnstest.
func (k *peerKeys) zoneText() string {
	var z strings.Builder
	for n, v := range k.dns {
		// TXT character-strings are at most 255 bytes.
		fmt.Fprintf(&z, "%s. TXT", n)
		for s := v[0]; len(s) > 0; {
			c := min(len(s), 250)
			fmt.Fprintf(&z, " %q", s[:c])
			s = s[c:]
		}
		z.WriteString("\n")
	}
	return z.String()
}

func toCRLF(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

func runPeer(t *testing.T, stdin []byte, prog string, args ...string) string {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", prog, args, err, errb.String())
	}
	return out.String()
}

func (k *peerKeys) signers() []*Signer {
	return []*Signer{
		{Domain: "example.org", Selector: "rsa", Key: k.rsa},
		{Domain: "example.org", Selector: "ed", Key: k.ed},
	}
}

// pyJob is one job for testdata/pydkim.py.
type pyJob map[string]string

// runPython runs the jobs in one python3-dkim process and decodes its
// results into out.
func (k *peerKeys) runPython(t *testing.T, jobs []pyJob, out any) {
	t.Helper()
	py := testbin.Peer(t, "python3")
	in, _ := json.Marshal(jobs)
	if err := json.Unmarshal([]byte(runPeer(t, in, py, "testdata/pydkim.py", k.zone)), out); err != nil {
		t.Fatal(err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// What quail signs, python3-dkim's verifier takes: RSA and Ed25519,
// every canonicalization pair, both signatures at once; and a message
// changed after signing fails there too.
func TestPythonVerifiesOurs(t *testing.T) {
	k := newPeerKeys(t)
	var jobs []pyJob
	var names []string
	for _, m := range interopMessages {
		for _, c := range canons {
			signed := []byte(m.text)
			var hs []byte
			for _, s := range k.signers() {
				s.HeaderCanon, s.BodyCanon = c[0], c[1]
				h, err := s.Sign(signed)
				if err != nil {
					t.Fatal(err)
				}
				hs = append(hs, h...)
			}
			signed = toCRLF(append(hs, signed...))
			tampered := bytes.Replace(signed, []byte("example.net"), []byte("example.com"), 1)
			jobs = append(jobs, pyJob{"op": "verify", "msg": b64(signed)}, pyJob{"op": "verify", "msg": b64(tampered)})
			names = append(names, fmt.Sprintf("%s %s/%s", m.name, c[0], c[1]), fmt.Sprintf("%s %s/%s tampered", m.name, c[0], c[1]))
		}
	}
	var got [][]string
	k.runPython(t, jobs, &got)
	for i, r := range got {
		want := "[pass pass]"
		if i%2 == 1 {
			want = "[fail fail]"
		}
		if fmt.Sprint(r) != want {
			t.Errorf("%s: python3-dkim says %v, want %s; message:\n%s", names[i], r, want, mustB64(jobs[i]["msg"]))
		}
	}
}

func mustB64(s string) []byte {
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}

// What python3-dkim signs, quail verifies, with CR LF line ends as it
// came and with LF ones as quail's queue stores it.
func TestWeVerifyPython(t *testing.T) {
	k := newPeerKeys(t)
	var jobs []pyJob
	for _, m := range interopMessages {
		for _, c := range canons {
			for _, kk := range []struct{ sel, alg, key string }{{"rsa", "rsa-sha256", k.rsaPEM}, {"ed", "ed25519-sha256", k.edSeed}} {
				jobs = append(jobs, pyJob{"op": "sign", "msg": b64(toCRLF([]byte(m.text))), "sel": kk.sel, "dom": "example.org",
					"key": kk.key, "alg": kk.alg, "hc": string(c[0]), "bc": string(c[1]), "name": m.name})
			}
		}
	}
	var got []string
	k.runPython(t, jobs, &got)
	for i, s := range got {
		signed := string(mustB64(s))
		j := jobs[i]
		for _, form := range []string{signed, strings.ReplaceAll(signed, "\r\n", "\n")} {
			vs := Verify(context.Background(), k.dns, []byte(form))
			if len(vs) != 1 || vs[0].Result != Pass || vs[0].Domain != "example.org" || vs[0].Selector != j["sel"] {
				t.Errorf("%s %s %s/%s: %+v\n%q", j["name"], j["alg"], j["hc"], j["bc"], vs, form)
			}
		}
	}
}

// Mail::DKIM (RSA only: Debian 12's version has no Ed25519) verifies
// what quail signs, and quail what it signs; its DNS is the test
// server.
func TestMailDKIM(t *testing.T) {
	perl := testbin.Peer(t, "perl")
	if _, err := os.Stat("/usr/share/perl5/Mail/DKIM/Verifier.pm"); err != nil {
		if os.Getenv("QUAIL_REQUIRE_PEERS") == "1" {
			t.Fatal("libmail-dkim-perl is not installed")
		}
		t.Skip("libmail-dkim-perl is not installed")
	}
	k := newPeerKeys(t)
	srv := dnstest.Start(t, k.zoneText())
	host, port, _ := strings.Cut(srv.Addr, ":")
	for _, m := range interopMessages {
		for _, c := range canons {
			s := &Signer{Domain: "example.org", Selector: "rsa", Key: k.rsa, HeaderCanon: c[0], BodyCanon: c[1]}
			h, err := s.Sign([]byte(m.text))
			if err != nil {
				t.Fatal(err)
			}
			signed := append(h, m.text...)
			if got := runPeer(t, signed, perl, "testdata/mailkdim.pl", "verify", host, port); got != "pass\n" {
				t.Errorf("%s %s/%s: Mail::DKIM says %q for\n%s", m.name, c[0], c[1], got, signed)
			}
			theirs := runPeer(t, []byte(m.text), perl, "testdata/mailkdim.pl", "sign", host, port, "rsa", "example.org", k.rsaPEM, string(c[0])+"/"+string(c[1]))
			res := dnsclient.New([]string{srv.Addr})
			for _, form := range []string{theirs, strings.ReplaceAll(theirs, "\r\n", "\n")} {
				vs := Verify(context.Background(), res, []byte(form))
				if len(vs) != 1 || vs[0].Result != Pass {
					t.Errorf("%s %s/%s: Mail::DKIM's signature: %+v\n%q", m.name, c[0], c[1], vs, form)
				}
			}
		}
	}
}

var _ crypto.Signer = ed25519.PrivateKey(nil)

// go-msgauth's dkim-verify takes its keys from the system resolver; it
// runs here in a mount namespace of its own whose /etc/resolv.conf
// names the test DNS server (on port 53 of a spare loopback address,
// which needs root, as Go's resolver asks port 53 only).
func TestGoMsgauthVerifiesOurs(t *testing.T) {
	verify := testbin.Peer(t, "dkim-verify")
	unshare := testbin.Peer(t, "unshare")
	k := newPeerKeys(t)
	srv := dnstest.StartForPeers(t, k.zoneText())
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(conf, []byte("nameserver "+srv.IP+"\noptions attempts:1 timeout:5\n"), 0o644)
	for _, m := range interopMessages {
		if m.name == "header-only" {
			continue // go-msgauth refuses a message without a body ("failed to read header: EOF")
		}
		for _, c := range canons {
			var hs []byte
			for _, s := range k.signers() {
				s.HeaderCanon, s.BodyCanon = c[0], c[1]
				h, err := s.Sign([]byte(m.text))
				if err != nil {
					t.Fatal(err)
				}
				hs = append(hs, h...)
			}
			signed := toCRLF(append(hs, m.text...))
			run := func(msg []byte) string {
				// dkim-verify logs one line per signature, with log's time stamp.
				out := runPeer(t, msg, unshare, "-m", "sh", "-c", `mount --bind "$0" /etc/resolv.conf && exec "$1" 2>&1`, conf, verify)
				var lines []string
				for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
					if f := strings.SplitN(l, " ", 3); len(f) == 3 {
						lines = append(lines, f[2])
					}
				}
				return strings.Join(lines, "\n")
			}
			if got, want := run(signed), "Valid signature for example.org\nValid signature for example.org"; got != want {
				t.Errorf("%s %s/%s: dkim-verify says %q\n%s", m.name, c[0], c[1], got, signed)
			}
			tampered := bytes.Replace(signed, []byte("Subject:"), []byte("Subject: x"), 1)
			if got := run(tampered); strings.Count(got, "Invalid signature for example.org") != 2 {
				t.Errorf("%s %s/%s tampered: dkim-verify says %q", m.name, c[0], c[1], got)
			}
		}
	}
}
