package passwd

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Vectors: SHA-crypt's from Drepper's specification, MD5-crypt's from
// glibc crypt(3) (via Python's crypt module, checked once by hand).
var cryptVectors = []struct {
	setting, password, want, why string
}{
	{"$5$saltstring", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "SHA-256 default rounds"},
	{"$5$rounds=10000$saltstringsaltstring", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "salt cut at 16"},
	{"$5$rounds=5000$toolongsaltstring", "This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5", "explicit default rounds are echoed"},
	{"$5$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1", "password longer than the digest"},
	{"$5$rounds=77777$short", "we have a short salt string but not a short password", "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/", "short salt"},
	{"$5$rounds=123456$asaltof16chars..", "a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD", "salt of exactly 16"},
	{"$5$rounds=10$roundstoolow", "the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", "rounds clamped to 1000"},
	{"$6$saltstring", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "SHA-512 default rounds"},
	{"$6$rounds=10000$saltstringsaltstring", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "salt cut at 16"},
	{"$6$rounds=5000$toolongsaltstring", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0", "explicit default rounds"},
	{"$6$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1", "password longer than the digest"},
	{"$6$rounds=77777$short", "we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0", "short salt"},
	{"$6$rounds=123456$asaltof16chars..", "a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1", "salt of exactly 16"},
	{"$6$rounds=10$roundstoolow", "the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.", "rounds clamped to 1000"},
	{"$1$saltsalt", "password", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", "MD5 with an 8-character salt"},
	{"$1$", "x", "$1$$LP5.V3ajGqHDdXW6XwZQy.", "MD5 with an empty salt"},
	{"$1$abc", "", "$1$abc$Or2rbeUYTvt12aiVzMuS/.", "MD5 with an empty password"},
	{"$1$saltsaltEXTRA$", "password", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", "MD5 salt cut at 8"},
}

func TestCryptVectors(t *testing.T) {
	for _, v := range cryptVectors {
		got, err := Crypt([]byte(v.password), v.setting)
		if err != nil || got != v.want {
			t.Errorf("%s: Crypt(%q, %q) = %q, %v; want %q", v.why, v.password, v.setting, got, err, v.want)
			continue
		}
		if ok, err := CheckCrypt([]byte(v.password), v.want); !ok || err != nil {
			t.Errorf("%s: CheckCrypt(right password) = %v, %v", v.why, ok, err)
		}
		if ok, _ := CheckCrypt([]byte(v.password+"x"), v.want); ok {
			t.Errorf("%s: CheckCrypt accepted a wrong password", v.why)
		}
	}
}

// TestCryptAgainstOpenSSL compares with openssl passwd for passwords of
// every length up to past two digest blocks, where the algorithms branch.
func TestCryptAgainstOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	for _, scheme := range []string{"1", "5", "6"} {
		// openssl 3 prints "<NULL>" for an empty SHA-crypt password, so
		// lengths start at 1.
		for n := 1; n <= 71; n += 7 {
			pw := strings.Repeat("pässwörd", 10)[:n]
			salt := "Sa.lt/" + scheme
			out, err := exec.Command(openssl, "passwd", "-"+scheme, "-salt", salt, pw).Output()
			if err != nil {
				t.Fatalf("openssl passwd -%s: %v", scheme, err)
			}
			want := strings.TrimSpace(string(out))
			got, err := Crypt([]byte(pw), "$"+scheme+"$"+salt)
			if err != nil || got != want {
				t.Errorf("scheme %s, password length %d: got %q, openssl %q", scheme, n, got, want)
			}
		}
	}
}

func TestParseHash(t *testing.T) {
	cases := []struct {
		in   string
		want error
		why  string
	}{
		{"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", nil, "good SHA-512"},
		{"$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", nil, "good SHA-256 with rounds"},
		{"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", nil, "good MD5"},
		{"", ErrLocked, "empty field: no password"},
		{"!$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", ErrLocked, "locked with !"},
		{"*", ErrLocked, "no login"},
		{"abJnggxhB/yWI", ErrUnsupportedHash, "DES crypt refused"},
		{"$2b$10$abcdefghijklmnopqrstuu", ErrUnsupportedHash, "bcrypt not supported"},
		{"$y$j9T$salt$hash", ErrUnsupportedHash, "yescrypt with a short digest"},
		{"$2b$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE", ErrUnsupportedHash, "bcrypt, named"},
		{"$6$salt$short", ErrUnsupportedHash, "digest too short"},
		{"$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", ErrUnsupportedHash, "stored rounds below the minimum never come from crypt"},
		{"$1$saltsalt$qjXMvbEw8oaL.Czfl:taK/", ErrUnsupportedHash, "character outside the alphabet"},
		{"$6$", ErrUnsupportedHash, "magic only"},
	}
	for _, c := range cases {
		_, err := ParseHash(c.in)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: ParseHash(%q) = %v, want %v", c.why, c.in, err, c.want)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	for _, v := range cryptVectors {
		f.Add(v.want, v.password)
	}
	f.Add("$5$rounds=99999999999999999999$x$y", "")
	f.Add("!!", "")
	f.Fuzz(func(t *testing.T, h, pw string) {
		parsed, err := ParseHash(h)
		if err != nil {
			return
		}
		if parsed.Rounds > 20000 {
			return // valid but slow to compute: not what the fuzzer is for
		}
		if parsed.Scheme == "y" || parsed.Scheme == "7" {
			return // FuzzYescryptSetting computes the cheap ones
		}
		// A parsed hash must be reproducible from its own setting.
		if _, err := CheckCrypt([]byte(pw), h); err != nil {
			t.Fatalf("CheckCrypt(%q) after a good parse: %v", h, err)
		}
	})
}
