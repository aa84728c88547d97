package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"time"
)

// DefaultHeaders are the fields a Signer signs when given none: the
// originator, destination and identification fields, the MIME fields
// and the List-* fields of RFC 2369 and RFC 8058. Each is oversigned.
var DefaultHeaders = []string{
	"From", "Sender", "Reply-To", "Subject", "Date", "To", "Cc",
	"Message-ID", "In-Reply-To", "References",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-ID", "Content-Description", "Content-Disposition", "Content-Language",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post",
	"List-Subscribe", "List-Post", "List-Owner", "List-Archive",
}

// Signer makes DKIM-Signature fields for one key.
type Signer struct {
	Domain   string        // d=, the signing domain (SDID)
	Selector string        // s=
	Key      crypto.Signer // *rsa.PrivateKey (2048 bits or more) or ed25519.PrivateKey
	Identity string        // i=, the AUID; "" writes none (it is then "@" + Domain)
	// HeaderCanon and BodyCanon are c=; "" is relaxed.
	HeaderCanon, BodyCanon Canon
	// Headers are the fields to sign; nil is DefaultHeaders. Each name
	// is listed in h= once more than the message has it, so that no
	// field of that name can be added without breaking the signature;
	// a name the message lacks is listed once for the same reason.
	Headers []string
	Expire  time.Duration    // > 0: x= that long after t=
	Now     func() time.Time // nil: time.Now
}

// MinSignRSABits is the smallest RSA key a Signer uses (RFC 8301 section
// 3.2 asks signers for at least 2048 bits).
const MinSignRSABits = 2048

// Algorithm is the a= the Signer's key gives.
func (s *Signer) Algorithm() (string, error) {
	switch k := s.Key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < MinSignRSABits {
			return "", errors.New("RSA key of " + strconv.Itoa(k.N.BitLen()) + " bits: signing needs 2048 or more")
		}
		return "rsa-sha256", nil
	case ed25519.PrivateKey:
		return "ed25519-sha256", nil
	}
	return "", errors.New("key is neither RSA nor Ed25519")
}

func (s *Signer) canons() (Canon, Canon) {
	h, b := s.HeaderCanon, s.BodyCanon
	if h == "" {
		h = Relaxed
	}
	if b == "" {
		b = Relaxed
	}
	return h, b
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Sign returns the DKIM-Signature field for msg, folded, with LF line
// ends and a final LF, to be put above the message's first line.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	fields, body, _ := Split(msg)
	return s.sign(fields, body, "DKIM-Signature", []string{"v=1"})
}

// sign makes a signature field named name, DKIM-Signature or
// ARC-Message-Signature, whose tag list starts with lead.
func (s *Signer) sign(fields []Field, body []byte, name string, lead []string) ([]byte, error) {
	alg, err := s.Algorithm()
	if err != nil {
		return nil, err
	}
	hc, bc := s.canons()
	bh := sha256.New()
	hashBody(bh, body, bc, -1)

	names := s.Headers
	if names == nil {
		names = DefaultHeaders
	}
	var h []string
	for _, n := range names {
		n = strings.ToLower(n)
		count := 1
		for _, f := range fields {
			if f.Is(n) {
				count++
			}
		}
		for range count {
			h = append(h, n)
		}
	}
	t := s.now().Unix()
	var f folder
	f.start(name + ":")
	for _, l := range lead {
		f.word(l+";", true)
	}
	f.word("a="+alg+";", true)
	f.word("c="+string(hc)+"/"+string(bc)+";", true)
	f.word("d="+s.Domain+";", true)
	f.word("s="+s.Selector+";", true)
	if s.Identity != "" {
		f.word("i="+s.Identity+";", true)
	}
	f.word("t="+strconv.FormatInt(t, 10)+";", true)
	if s.Expire > 0 {
		f.word("x="+strconv.FormatInt(t+int64(s.Expire/time.Second), 10)+";", true)
	}
	for i, n := range h {
		w := n
		if i == 0 {
			w = "h=" + n
		}
		if i < len(h)-1 {
			w += ":"
		} else {
			w += ";"
		}
		f.word(w, i == 0)
	}
	f.word("bh="+base64.StdEncoding.EncodeToString(bh.Sum(nil))+";", true)
	f.word("b=", true)
	unsigned := f.String()

	hh := sha256.New()
	hashHeaders(hh, fields, h, hc)
	hashSigField(hh, []byte(unsigned), hc)
	sig, err := signDigest(s.Key, hh.Sum(nil))
	if err != nil {
		return nil, err
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	for len(b64) > 0 {
		n := min(len(b64), 64)
		f.word(b64[:n], false)
		b64 = b64[n:]
	}
	return append([]byte(f.String()), '\n'), nil
}

func signDigest(key crypto.Signer, digest []byte) ([]byte, error) {
	if _, ok := key.(ed25519.PrivateKey); ok {
		// RFC 8463 section 3: Ed25519 signs the SHA-256 hash itself.
		return key.Sign(rand.Reader, digest, crypto.Hash(0))
	}
	return key.Sign(rand.Reader, digest, crypto.SHA256)
}

// hashHeaders writes the fields named in h to w, each name taking the
// last instance not yet taken (RFC 6376 section 5.4.2); a name with no
// instance left adds nothing.
func hashHeaders(w hash.Hash, fields []Field, h []string, c Canon) {
	used := make([]bool, len(fields))
	var buf []byte
	for _, n := range h {
		for i := len(fields) - 1; i >= 0; i-- {
			if !used[i] && fields[i].Is(n) {
				used[i] = true
				buf = canonHeader(buf[:0], fields[i].Raw, c)
				w.Write(buf)
				break
			}
		}
	}
}

// hashSigField writes the signature field itself, its b= already empty,
// canonicalized and without its final CR LF (RFC 6376 section 3.7).
func hashSigField(w hash.Hash, raw []byte, c Canon) {
	b := canonHeader(nil, raw, c)
	w.Write(b[:len(b)-2])
}

// folder lays out a header field in lines of at most 78 characters
// where it can (RFC 5322 section 2.1.1), folding with LF TAB.
type folder struct {
	b   strings.Builder
	col int
}

func (f *folder) start(s string) {
	f.b.WriteString(s)
	f.col = len(s)
}

// word adds w, after a space when spaced, folding first when the line
// would grow past 78 characters.
func (f *folder) word(w string, spaced bool) {
	extra := len(w)
	if spaced {
		extra++
	}
	if f.col+extra > 78 {
		f.b.WriteString("\n\t")
		f.col = 1
	} else if spaced {
		f.b.WriteByte(' ')
		f.col++
	}
	f.b.WriteString(w)
	f.col += len(w)
}

func (f *folder) String() string { return f.b.String() }
