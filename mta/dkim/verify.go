package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/dnsclient"
)

// Result is a verification result, in the words of RFC 8601 section
// 2.7.1.
type Result string

// The results.
const (
	None      Result = "none"      // no signature
	Pass      Result = "pass"      // the signature verified
	Fail      Result = "fail"      // it did not (wrong body hash or signature, rsa-sha1)
	Neutral   Result = "neutral"   // it was not checked (too many signatures)
	TempError Result = "temperror" // the key could not be had for now
	PermError Result = "permerror" // it cannot be checked: syntax, key, expiry
)

// Verification is the outcome for one DKIM-Signature field.
type Verification struct {
	Domain    string // d=, the signing domain identifier (SDID), in lower case
	Selector  string // s=
	Identity  string // i=, the AUID; "@" + Domain when the signature has none
	Algorithm string // a=, as written
	Signature string // b=, without whitespace (Authentication-Results' header.b takes its start)
	Result    Result
	Reason    string // why it is not a pass, a short phrase; "" for a pass
	Testing   bool   // the key is marked t=y: the domain is testing DKIM
	// BodyLength is l=, the number of body bytes signed, or -1 when the
	// whole body is.
	BodyLength int64
}

// TXTResolver is what verification needs of DNS: one string per TXT
// record. dnsclient.ErrNotFound (no such name, or no TXT there) and
// dnsclient.ErrInvalidName make a permerror; any other error a
// temperror.
type TXTResolver interface {
	TXT(ctx context.Context, name string) ([]string, error)
}

// DefaultMaxSignatures bounds the signatures (and so the key lookups)
// verified per message; the ones after it are neutral.
const DefaultMaxSignatures = 8

// Verifier checks the DKIM signatures of messages.
type Verifier struct {
	DNS           TXTResolver
	Now           func() time.Time // nil: time.Now
	MaxSignatures int              // 0: DefaultMaxSignatures
}

// Verify checks every DKIM-Signature field of msg, top to bottom, and
// returns one Verification each; none for an unsigned message. ctx
// bounds all the key lookups together.
func (v *Verifier) Verify(ctx context.Context, msg []byte) []Verification {
	fields, body, _ := Split(msg)
	c := &checker{v: v, fields: fields, body: body, bodies: map[bodyKey][]byte{}}
	var out []Verification
	max := v.MaxSignatures
	if max <= 0 {
		max = DefaultMaxSignatures
	}
	for i, f := range fields {
		if !f.Is("DKIM-Signature") {
			continue
		}
		if len(out) >= max {
			out = append(out, Verification{Result: Neutral, Reason: "not checked: more than " + strconv.Itoa(max) + " signatures", BodyLength: -1})
			continue
		}
		out = append(out, c.check(ctx, i))
	}
	return out
}

// Verify is Verifier{DNS: dns}.Verify(ctx, msg).
func Verify(ctx context.Context, dns TXTResolver, msg []byte) []Verification {
	v := &Verifier{DNS: dns}
	return v.Verify(ctx, msg)
}

type bodyKey struct {
	c     Canon
	limit int64
}

// checker holds what the signatures of one message share: the parsed
// header and the body hashes already computed.
type checker struct {
	v      *Verifier
	fields []Field
	body   []byte
	bodies map[bodyKey][]byte
	blen   map[Canon]int64
}

func (c *checker) now() time.Time {
	if c.v.Now != nil {
		return c.v.Now()
	}
	return time.Now()
}

// sigParams is a parsed DKIM-Signature or ARC-Message-Signature.
type sigParams struct {
	tags      Tags
	alg       string
	hc, bc    Canon
	domain    string
	selector  string
	headers   []string
	bodyHash  []byte
	sig       []byte
	limit     int64
	timestamp int64 // -1: none
	expire    int64 // -1: none
}

// parseSig reads the tags every signature must have (RFC 6376 section
// 3.5); the caller checks those of its own kind (v=, i=).
func parseSig(ts Tags) (*sigParams, string) {
	p := &sigParams{tags: ts, limit: -1, timestamp: -1, expire: -1}
	for _, req := range []string{"a", "b", "bh", "d", "h", "s"} {
		if _, ok := ts.Get(req); !ok {
			return nil, "signature without " + req + "="
		}
	}
	a, _ := ts.Get("a")
	p.alg = strings.ToLower(stripFWS(a))
	cv, _ := ts.Get("c")
	var err error
	if p.hc, p.bc, err = parseCanon(cv); err != nil {
		return nil, err.Error()
	}
	d, _ := ts.Get("d")
	p.domain = strings.TrimSuffix(strings.ToLower(stripFWS(d)), ".")
	s, _ := ts.Get("s")
	p.selector = strings.ToLower(stripFWS(s))
	if p.domain == "" || p.selector == "" || !validName(p.selector+"."+p.domain) {
		return nil, "bad d= or s="
	}
	h, _ := ts.Get("h")
	p.headers = splitList(h)
	from := false
	for _, n := range p.headers {
		from = from || n == "from"
	}
	if !from {
		return nil, errNoFrom.Error()
	}
	bh, _ := ts.Get("bh")
	if p.bodyHash, err = base64.StdEncoding.DecodeString(stripFWS(bh)); err != nil {
		return nil, "bh= does not decode"
	}
	b, _ := ts.Get("b")
	if p.sig, err = base64.StdEncoding.DecodeString(stripFWS(b)); err != nil || len(p.sig) == 0 {
		return nil, "b= does not decode"
	}
	if l, ok := ts.Get("l"); ok {
		if p.limit, err = parseUint(l); err != nil {
			return nil, "bad l="
		}
	}
	if q, ok := ts.Get("q"); ok {
		dnsTXT := false
		for _, m := range splitList(q) {
			dnsTXT = dnsTXT || m == "dns/txt"
		}
		if !dnsTXT {
			return nil, "query method " + stripFWS(q) + " not supported"
		}
	}
	if t, ok := ts.Get("t"); ok {
		if p.timestamp, err = parseUint(t); err != nil {
			return nil, "bad t="
		}
	}
	if x, ok := ts.Get("x"); ok {
		if p.expire, err = parseUint(x); err != nil {
			return nil, "bad x="
		}
		if p.timestamp >= 0 && p.expire < p.timestamp {
			return nil, "x= before t="
		}
	}
	return p, ""
}

func parseUint(s string) (int64, error) {
	s = stripFWS(s)
	if s == "" || len(s) > 18 {
		return 0, errors.New("bad number")
	}
	return strconv.ParseInt(s, 10, 64)
}

// validName accepts a DNS name of LDH labels and underscores.
func validName(n string) bool {
	if len(n) > 253 {
		return false
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

func (c *checker) check(ctx context.Context, idx int) Verification {
	f := c.fields[idx]
	out := Verification{BodyLength: -1}
	fail := func(r Result, why string) Verification {
		out.Result, out.Reason = r, why
		return out
	}
	ts, err := ParseTags(f.Value())
	if err != nil {
		return fail(PermError, "signature does not parse")
	}
	if d, ok := ts.Get("d"); ok {
		out.Domain = strings.TrimSuffix(strings.ToLower(stripFWS(d)), ".")
	}
	if s, ok := ts.Get("s"); ok {
		out.Selector = strings.ToLower(stripFWS(s))
	}
	if a, ok := ts.Get("a"); ok {
		out.Algorithm = stripFWS(a)
	}
	if b, ok := ts.Get("b"); ok {
		out.Signature = stripFWS(b)
	}
	out.Identity = "@" + out.Domain
	if v, ok := ts.Get("v"); !ok || stripFWS(v) != "1" {
		return fail(PermError, "signature version is not 1")
	}
	p, why := parseSig(ts)
	if p == nil {
		return fail(PermError, why)
	}
	out.BodyLength = p.limit
	if i, ok := ts.Get("i"); ok {
		out.Identity = stripFWS(i)
		at := strings.LastIndexByte(out.Identity, '@')
		if at < 0 || !inDomain(strings.ToLower(out.Identity[at+1:]), p.domain, false) {
			return fail(PermError, "i= not within d=")
		}
	}
	if p.expire >= 0 && c.now().Unix() > p.expire {
		return fail(PermError, "signature expired")
	}
	key, r, why := c.key(ctx, p)
	if key == nil {
		return fail(r, why)
	}
	out.Testing = key.Testing
	if key.Strict {
		at := strings.LastIndexByte(out.Identity, '@')
		if !strings.EqualFold(out.Identity[at+1:], p.domain) {
			return fail(PermError, "key is t=s but i= is a subdomain of d=")
		}
	}
	if r, why := c.verifySig(p, f, key); r != Pass {
		return fail(r, why)
	}
	out.Result = Pass
	return out
}

// inDomain says whether name is dom or (unless strict) a subdomain of it.
func inDomain(name, dom string, strict bool) bool {
	name = strings.TrimSuffix(name, ".")
	return name == dom || !strict && strings.HasSuffix(name, "."+dom)
}

// key fetches and checks the key a signature names.
func (c *checker) key(ctx context.Context, p *sigParams) (*Key, Result, string) {
	var hashName string
	var kt KeyType
	switch p.alg {
	case "rsa-sha256":
		hashName, kt = "sha256", RSA
	case "ed25519-sha256":
		hashName, kt = "sha256", Ed25519
	case "rsa-sha1":
		// RFC 8301 section 3.1: verifiers must not take rsa-sha1.
		return nil, Fail, "rsa-sha1 is not accepted (RFC 8301)"
	default:
		return nil, PermError, "unknown algorithm " + p.alg
	}
	if c.v.DNS == nil {
		return nil, TempError, "no DNS"
	}
	name := p.selector + "._domainkey." + p.domain
	txts, err := c.v.DNS.TXT(ctx, name)
	if err != nil {
		if errors.Is(err, dnsclient.ErrNotFound) || errors.Is(err, dnsclient.ErrInvalidName) {
			return nil, PermError, "no key for " + name
		}
		return nil, TempError, "key lookup failed for " + name
	}
	var key *Key
	why := "no key record at " + name
	for _, t := range txts {
		k, err := ParseKey(t)
		if errors.Is(err, errRevoked) {
			return nil, PermError, "key revoked"
		}
		if err != nil {
			why = "key record: " + err.Error()
			continue
		}
		key = k
		break
	}
	if key == nil {
		return nil, PermError, why
	}
	if key.Type != kt {
		return nil, PermError, "key is " + string(key.Type) + ", signature " + p.alg
	}
	if !key.allowsHash(hashName) {
		return nil, PermError, "key does not allow " + hashName
	}
	if !key.forEmail() {
		return nil, PermError, "key is not for email"
	}
	return key, Pass, ""
}

// bodyHash returns the hash of the body in canonicalization bc, cut at
// limit, and the length of the whole canonical body.
func (c *checker) bodyHash(bc Canon, limit int64) ([]byte, int64) {
	if c.blen == nil {
		c.blen = map[Canon]int64{}
	}
	k := bodyKey{bc, limit}
	if h, ok := c.bodies[k]; ok {
		return h, c.blen[bc]
	}
	w := sha256.New()
	n := hashBody(w, c.body, bc, limit)
	c.bodies[k] = w.Sum(nil)
	c.blen[bc] = n
	return c.bodies[k], n
}

// verifySig checks the body hash, then the signature over the header.
func (c *checker) verifySig(p *sigParams, f Field, key *Key) (Result, string) {
	bh, n := c.bodyHash(p.bc, p.limit)
	if p.limit > n {
		return PermError, "l= longer than the body"
	}
	if string(bh) != string(p.bodyHash) {
		return Fail, "body hash did not verify"
	}
	h := sha256.New()
	hashHeaders(h, c.fields, p.headers, p.hc)
	hashSigField(h, emptyB(f.Raw, p.tags), p.hc)
	if !checkSig(key, h, p.sig) {
		return Fail, "signature did not verify"
	}
	return Pass, ""
}

func checkSig(key *Key, h hash.Hash, sig []byte) bool {
	digest := h.Sum(nil)
	switch pub := key.Public.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(pub, digest, sig)
	}
	return false
}

// emptyB returns the field with the value of its b= tag removed, and
// the whitespace around it (RFC 6376 section 3.7): from the '=' to the
// next ';' or the end of the field.
func emptyB(raw []byte, ts Tags) []byte {
	colon := strings.IndexByte(string(raw), ':')
	for _, t := range ts {
		if t.Name != "b" {
			continue
		}
		val := raw[colon+1:]
		eq := t.Start
		for eq > 0 && val[eq-1] != '=' {
			eq--
		}
		end := t.End
		for end < len(val) && val[end] != ';' {
			end++
		}
		if end == len(val) {
			// Keep the field's own line end.
			for end > eq && (val[end-1] == '\n' || val[end-1] == '\r') {
				end--
			}
		}
		out := make([]byte, 0, len(raw))
		out = append(out, raw[:colon+1+eq]...)
		return append(out, raw[colon+1+end:]...)
	}
	return raw
}
