package tlsconf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// MaxPassword bounds a key password read from a descriptor (-3).
const MaxPassword = 4096

// ReadPasswordFD3 reads the key password of ucspi-ssl's -3 from
// descriptor 3 and closes it, as sslserver.c and sslclient.c do.
//
// When the program was started without a descriptor 3, the Go runtime
// may hold one there (it keeps the cgroup CPU limit files open); such a
// descriptor is close-on-exec, as everything Go opens is, while one
// inherited through exec never is. So a close-on-exec descriptor 3 counts
// as not open.
func ReadPasswordFD3() ([]byte, error) {
	flags, err := unix.FcntlInt(3, unix.F_GETFD, 0)
	if err != nil {
		return nil, err
	}
	if flags&unix.FD_CLOEXEC != 0 {
		return nil, unix.EBADF
	}
	f := os.NewFile(3, "descriptor 3")
	defer f.Close()
	return ReadPassword(f)
}

// ReadPassword reads a key password as ucspi-ssl's -3 does: up to a NUL
// or the end of r, the NUL not included.
func ReadPassword(r io.Reader) ([]byte, error) {
	var pw []byte
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return append(pw, buf[:i]...), nil
		}
		pw = append(pw, buf[:n]...)
		if len(pw) > MaxPassword {
			return nil, errors.New("password too long")
		}
		if err == io.EOF {
			return pw, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// loadKeyPair is tls.LoadX509KeyPair that first decrypts the key with
// password when the key file holds an encrypted key.
func loadKeyPair(certFile, keyFile string, password []byte) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if password != nil {
		if keyPEM, err = DecryptKeys(keyPEM, password); err != nil {
			return tls.Certificate{}, err
		}
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// DecryptKeys returns pemData with every encrypted private key in it
// decrypted with password: PKCS#8 "ENCRYPTED PRIVATE KEY" blocks with
// PBES2 (PBKDF2 with HMAC-SHA1 or SHA-2, AES-CBC or 3DES-CBC), what
// OpenSSL writes by default, and the traditional form with a Proc-Type
// 4,ENCRYPTED header. Other blocks are kept as they are.
func DecryptKeys(pemData, password []byte) ([]byte, error) {
	var out bytes.Buffer
	rest := pemData
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			return out.Bytes(), nil
		}
		rest = next
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			der, err := decryptPKCS8(block.Bytes, password)
			if err != nil {
				return nil, err
			}
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
		case strings.HasSuffix(block.Type, "PRIVATE KEY") && x509.IsEncryptedPEMBlock(block):
			// Deprecated in Go for its weak design, but it is the form
			// older keys (and openssl ec -aes256) are in.
			der, err := x509.DecryptPEMBlock(block, password)
			if err != nil {
				return nil, fmt.Errorf("unable to decrypt key: %w", err)
			}
			block = &pem.Block{Type: block.Type, Bytes: der}
		}
		if err := pem.Encode(&out, block); err != nil {
			return nil, err
		}
	}
}

// Object identifiers of PKCS #5 v2.1 (RFC 8018) and the ciphers it uses.
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// EncryptedPrivateKeyInfo and its parameters (RFC 5958, RFC 8018).
type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KeyDerivation pkix.AlgorithmIdentifier
	Encryption    pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// maxIterations keeps a hostile key file from holding sslserver at start
// for hours; OpenSSL writes 2048, current guidance is some hundred
// thousands.
const maxIterations = 10_000_000

var errBadEncryptedKey = errors.New("unable to decrypt key: bad password or malformed key")

func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("unable to decrypt key: malformed encrypted key")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unable to decrypt key: unsupported encryption %v (only PBES2)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) > 0 {
		return nil, errors.New("unable to decrypt key: malformed PBES2 parameters")
	}
	if !params.KeyDerivation.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("unable to decrypt key: unsupported key derivation %v (only PBKDF2)", params.KeyDerivation.Algorithm)
	}
	var kdf pbkdf2Params
	if rest, err := asn1.Unmarshal(params.KeyDerivation.Parameters.FullBytes, &kdf); err != nil || len(rest) > 0 {
		return nil, errors.New("unable to decrypt key: malformed PBKDF2 parameters")
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxIterations {
		return nil, fmt.Errorf("unable to decrypt key: PBKDF2 iteration count %d out of range", kdf.Iterations)
	}
	var prf func() hash.Hash
	switch alg := kdf.PRF.Algorithm; {
	case len(alg) == 0 || alg.Equal(oidHMACSHA1):
		prf = sha1.New
	case alg.Equal(oidHMACSHA224):
		prf = sha256.New224
	case alg.Equal(oidHMACSHA256):
		prf = sha256.New
	case alg.Equal(oidHMACSHA384):
		prf = sha512.New384
	case alg.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("unable to decrypt key: unsupported PBKDF2 function %v", alg)
	}
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch alg := params.Encryption.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case alg.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case alg.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case alg.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("unable to decrypt key: unsupported cipher %v", alg)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, errors.New("unable to decrypt key: key length does not fit the cipher")
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(params.Encryption.Parameters.FullBytes, &iv); err != nil || len(rest) > 0 {
		return nil, errors.New("unable to decrypt key: malformed cipher parameters")
	}
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("unable to decrypt key: %w", err)
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	if len(iv) != block.BlockSize() || len(info.Data) == 0 || len(info.Data)%block.BlockSize() != 0 {
		return nil, errBadEncryptedKey
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	// PKCS #7 padding; a wrong password shows here or in the parse below.
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > block.BlockSize() || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errBadEncryptedKey
	}
	plain = plain[:len(plain)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, errBadEncryptedKey
	}
	return plain, nil
}
