package passwd

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// yescryptVectors were made with Debian 12's mkpasswd (whois 5.5.17,
// libxcrypt 4.4.33), password on standard input: "mkpasswd -m yescrypt
// -s -S SETTING". The settings cover each cost mkpasswd -R writes below
// the slow ones, and, written by hand, the flavors and parameters the
// setting can carry (classic scrypt and WORM, p, t, an empty salt).
var yescryptVectors = []struct {
	password, hash, why string
}{
	{"password", "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$AwSWBvo9otG8BLH4EfD1adasacj5dqew9dxGW5j5f24", "-R 1: N=1024, r=8"},
	{"", "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$tUlUF19mIl6XpRTpX7LBp5ABKS8KSmDfP1gXFrZ6Sy8", "empty password"},
	{"pässwörd", "$y$j85$0bRqx5eJhkVE5pyJHq5Bj1$eK9i4FU.faOdGn.ZuCQF7tSL8m.lWqVsPyqxp.DKAi0", "-R 2, UTF-8 password"},
	{"\xe4\xf6\xfc", "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$9moXHro4QpjklGoOWuP07fgjrxeXL8hbMYMGrNANRI2", "Latin-1 bytes"},
	{strings.Repeat("x", 300), "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$vAS4EoEfoZP9hMBgn2kX5FLbSA.D3DxxbDZmPcpclJB", "password longer than an HMAC block"},
	{"correct horse battery staple", "$y$j7T$0Xm7KBeQkB3gUs8xMMVkI/$yyvTOhZYk7lauxw3MKqQubnvVy1IT71fhiIZ.2zDZU6", "-R 3: N=1024, r=32"},
	{"demo", "$y$j9T$QvHvGdRDuZt4mvJrSvz9R0$MfMVbnhzWEDjfD0zlXRx.uQnET0GYkWJsH5bv.yum4B", "-R 5, Debian's default: N=4096, r=32, with the pre-hash"},
	{"pw", "$y$/75$abcdefghijklmnop$plszCX/vNaffb2irQZK4DShkAsnMl4ZXzf7F7wf0N53", "WORM flavor"},
	{"pw", "$y$/75/.$abcdefghijklmnop$OnJLpwE9J32Y79d7uSp6spAmtT6nn2vMrwZFqoQgYm7", "WORM with t=1"},
	{"pw", "$y$.75$abcdefghijklmnop$icNj4SFsvhcM5G2uaRumT5.cou8HweQx4gGPdxv0P8D", "classic scrypt in the $y$ encoding"},
	{"pw", "$y$j75..$abcdefghijklmnop$e.fm9urHTv2DwCvDlh.XW2UIbhLRvP7LeOXWxNme8KB", "p=2: two lanes share V"},
	{"pw", "$y$j75.0$abcdefghijklmnop$ns8WEUZph/BxLpIMOKbOj9mbV4EXB3YLsw6P2A0Fs8C", "p=4"},
	{"pw", "$y$j75/.$abcdefghijklmnop$FOF7jr6XBG2OaS.4tkG0IqL52EBt9dchBiwTT2U0OY4", "t=1"},
	{"pw", "$y$j/5$abcdefgh$2fHIf7.8GYyL2jT8M2r9P8tE/H4EdLvDPpgYqQWfsa4", "N=4, the smallest libxcrypt takes"},
	{"pw", "$y$j75$$jvGePEmLFiYYhixj5ihvCNWGvOT5/PPznu9jmxQAqd/", "empty salt"},
	{"password", "$7$86..../....abcdefghijklmnop$qsGRgrkW2m7/BQFzL94d4EgEjvA73MwaJvulOTGBWN5", "classic scrypt, $7$ (mkpasswd -m scrypt)"},
}

func TestYescryptVectors(t *testing.T) {
	for _, v := range yescryptVectors {
		got, err := Crypt([]byte(v.password), v.hash)
		if err != nil || got != v.hash {
			t.Errorf("%s: Crypt = %q, %v; want %q", v.why, got, err, v.hash)
			continue
		}
		if ok, err := CheckCrypt([]byte(v.password), v.hash); !ok || err != nil {
			t.Errorf("%s: CheckCrypt(right password) = %v, %v", v.why, ok, err)
		}
		if ok, _ := CheckCrypt([]byte(v.password+"x"), v.hash); ok {
			t.Errorf("%s: CheckCrypt accepted a wrong password", v.why)
		}
	}
}

// The classic-scrypt core (flags 0) against RFC 7914's test vectors
// (section 12), which pin Salsa20/8, BlockMix, ROMix and PBKDF2 at once.
func TestScryptRFC7914(t *testing.T) {
	cases := []struct {
		password, salt string
		n              uint64
		r, p           uint32
		want           string
	}{
		{"", "", 16, 1, 1, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
		{"password", "NaCl", 1024, 8, 16, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
	}
	for _, c := range cases {
		got := hex.EncodeToString(yescryptKDF([]byte(c.password), []byte(c.salt), yesParams{n: c.n, r: c.r, p: c.p}, 64))
		if got != c.want {
			t.Errorf("scrypt(%q, %q, N=%d, r=%d, p=%d) = %s, want %s", c.password, c.salt, c.n, c.r, c.p, got, c.want)
		}
	}
}

// mkpasswdHash runs Debian's mkpasswd with the password on standard
// input, as a user would make a hash for /etc/shadow.
func mkpasswdHash(t *testing.T, mkpasswd, method, password string, args ...string) string {
	t.Helper()
	cmd := exec.Command(mkpasswd, append([]string{"-m", method, "-s"}, args...)...)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mkpasswd -m %s %v: %v", method, args, err)
	}
	return strings.TrimSpace(string(out))
}

// TestYescryptAgainstMkpasswd checks hashes the system makes now, with
// fresh salts: every cost up to Debian's default, passwords of several
// lengths, 8-bit ones among them, and scrypt.
func TestYescryptAgainstMkpasswd(t *testing.T) {
	mkpasswd := testbin.Peer(t, "mkpasswd")
	passwords := []string{"demo", "pässwörd", "\xff\x80\x01 ~", strings.Repeat("long password ", 9), "a"}
	for _, cost := range []string{"1", "2", "3", "4", "5"} {
		pws := passwords
		if cost >= "4" {
			pws = passwords[:2] // the slower costs with fewer passwords
		}
		for _, pw := range pws {
			h := mkpasswdHash(t, mkpasswd, "yescrypt", pw, "-R", cost)
			if ok, err := CheckCrypt([]byte(pw), h); !ok || err != nil {
				t.Errorf("-R %s, password %q: CheckCrypt(%s) = %v, %v", cost, pw, h, ok, err)
			}
			if ok, _ := CheckCrypt([]byte(pw[1:]+"!"), h); ok {
				t.Errorf("-R %s: a wrong password opened %s", cost, h)
			}
		}
	}
	h := mkpasswdHash(t, mkpasswd, "scrypt", "pässwörd", "-R", "6")
	if ok, err := CheckCrypt([]byte("pässwörd"), h); !ok || err != nil {
		t.Errorf("scrypt: CheckCrypt(%s) = %v, %v", h, ok, err)
	}
}

// TestCheckpasswordChpasswd lets the system's chpasswd write a shadow
// file with yescrypt, as passwd(1) does on Debian 12, and logs in with
// checkpassword against it. chpasswd -R chroots, so this needs root.
func TestCheckpasswordChpasswd(t *testing.T) {
	chpasswd := testbin.Peer(t, "chpasswd")
	if os.Geteuid() != 0 {
		t.Skip("chpasswd -R needs root")
	}
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	uid, gid, home := account(t)
	testbin.WriteFiles(t, etc, map[string]string{
		"passwd": fmt.Sprintf("alice:x:%d:%d::%s:/bin/sh\nbob:x:%d:%d::%s:/bin/sh\n", uid, gid, home, uid, gid, home),
		"shadow": "alice:!:19000:0:99999:7:::\nbob:!:19000:0:99999:7:::\n",
		"group":  fmt.Sprintf("alice:x:%d:\n", gid),
	})
	cmd := exec.Command(chpasswd, "-R", root, "-c", "YESCRYPT", "-s", "5")
	cmd.Stdin = strings.NewReader("alice:pässwörd\nbob:s3cret\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v: %s", err, out)
	}
	shadow, _ := os.ReadFile(filepath.Join(etc, "shadow"))
	if bytes.Count(shadow, []byte(":$y$j9T$")) != 2 {
		t.Fatalf("chpasswd did not write yescrypt hashes:\n%s", shadow)
	}
	env := []string{"CHECKPASSWORD_PASSWD=" + filepath.Join(etc, "passwd"), "CHECKPASSWORD_SHADOW=" + filepath.Join(etc, "shadow")}
	cases := []struct {
		input string
		code  int
		why   string
	}{
		{"alice\x00pässwörd\x00\x00", 0, "8-bit password set by chpasswd"},
		{"bob\x00s3cret\x00\x00", 0, "second account"},
		{"alice\x00s3cret\x00\x00", 1, "another account's password"},
		{"bob\x00s3cre\x00\x00", 1, "one character short"},
	}
	for _, c := range cases {
		code, out, stderr := runChecker(t, "checkpassword", env, c.input)
		if code != c.code || stderr != "" || c.code == 0 && !strings.HasPrefix(out, strings.Split(c.input, "\x00")[0]+"|") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d", c.why, code, out, stderr, c.code)
		}
	}
}

// TestYescryptUnderSoftlimit: under a data limit a hash that needs more
// memory than the limit leaves is refused with one line before anything
// is allocated (a Go program cannot survive a failed allocation), while
// Debian's default cost still logs in.
func TestYescryptUnderSoftlimit(t *testing.T) {
	dir := t.TempDir()
	uid, gid, home := account(t)
	demo := yescryptVectors[6]
	passwd := writeFile(t, dir, "passwd", fmt.Sprintf("big:x:%d:%d::%s:/bin/sh\ndemo:x:%d:%d::%s:/bin/sh\n", uid, gid, home, uid, gid, home))
	shadow := writeFile(t, dir, "shadow", "big:$y$jCT$abcdefgh$"+strings.Repeat("A", 43)+":::::::\ndemo:"+demo.hash+":::::::\n")
	cases := []struct {
		input, stderr string
		code          int
	}{
		{"big\x00pw\x00\x00", "checkpassword: warning: unable to check the password of big: hash too costly: yescrypt needs 128 MiB, more than the process's memory limit leaves\n", 1},
		{"demo\x00" + demo.password + "\x00\x00", "", 0},
	}
	for _, c := range cases {
		r, w, _ := os.Pipe()
		cmd := exec.Command(testbin.Path(t, "softlimit"), "-d", "150000000", testbin.Path(t, "checkpassword"), "true")
		cmd.Env = []string{"PATH=/bin:/usr/bin", "CHECKPASSWORD_PASSWD=" + passwd, "CHECKPASSWORD_SHADOW=" + shadow}
		cmd.ExtraFiles = []*os.File{r}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		w.WriteString(c.input)
		w.Close()
		code := testbin.ExitCode(t, cmd.Wait())
		if code != c.code || stderr.String() != c.stderr {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", c.input, code, stderr.String(), c.code, c.stderr)
		}
	}
}

func TestYescryptSettingRefused(t *testing.T) {
	const d = "$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ" // a digest-shaped tail
	cases := []struct {
		hash string
		want error
		why  string
	}{
		{"$y$jJT$abcdefgh" + d, ErrHashCost, "N=2^22 of 4 KiB: 16 GiB"},
		{"$y$jFT$abcdefgh" + d, nil, "N=2^18 of 4 KiB: mkpasswd -R 11, admitted"},
		{"$y$jGT$abcdefgh" + d, ErrHashCost, "one step past -R 11"},
		{"$y$jFT/j$abcdefgh" + d, ErrHashCost, "t=48 at -R 11: too much work"},
		{"$y$.FT..$abcdefgh" + d, ErrHashCost, "classic scrypt, p=2 at 1 GiB: twice the work"},
		{"$y$j75zzzzzz$abcdefgh" + d, ErrUnsupportedHash, "undefined parameter bits"},
		{"$y$j753.$abcdefgh" + d, ErrUnsupportedHash, "g (hash upgrades)"},
		{"$y$j755.$abcdefgh" + d, ErrUnsupportedHash, "NROM: a ROM crypt does not have"},
		{"$y$i75$abcdefgh" + d, ErrUnsupportedHash, "an RW flavor other than the defaults"},
		{"$y$j.5$abcdefgh" + d, ErrUnsupportedHash, "N=2, which libxcrypt refuses"},
		{"$y$j75$ab" + d, ErrUnsupportedHash, "salt with leftover bits"},
		{"$y$j75$a" + d, ErrUnsupportedHash, "salt of one character"},
		{"$y$j75$" + strings.Repeat("a", 88) + d, ErrUnsupportedHash, "salt over 64 bytes"},
		{"$y$j75$abcdefgh$short", ErrUnsupportedHash, "digest too short"},
		{"$y$j75", ErrUnsupportedHash, "no salt, no digest"},
		{"$y$j7$abcdefgh" + d, ErrUnsupportedHash, "r missing"},
		{"$7$86..../...." + d, nil, "scrypt without salt"},
		{"$7$86..../..." + d, ErrUnsupportedHash, "scrypt parameters cut short"},
		{"$7$G6..../....abcdefgh" + d, nil, "scrypt N=2^18, r=8: 256 MiB, admitted"},
		{"$7$HU..../....abcdefgh" + d, ErrHashCost, "scrypt N=2^19, r=32: 2 GiB"},
		{"$gy$j9T$PTG7pwtXsi9Kv8vJLJCQ5/$dyrcchn7uC15dUBzvo8SnAAsWLiKK4psgLPo.yVBiOD", ErrUnsupportedHash, "gost-yescrypt needs Streebog"},
	}
	for _, c := range cases {
		_, err := ParseHash(c.hash)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: ParseHash(%q) = %v, want %v", c.why, c.hash, err, c.want)
		}
	}
}

// encodeYesUint is the inverse of decodeYesUint (yescrypt-common.c's
// encode64_uint32), for the fuzz target's round trip.
func encodeYesUint(v, min uint32) string {
	v -= min
	start, end, chars, shift := uint32(0), uint32(47), 1, uint32(0)
	for {
		count := (end + 1 - start) << shift
		if v < count {
			break
		}
		v -= count
		start = end + 1
		end = start + (62-end)/2
		chars++
		shift += 6
	}
	out := []byte{cryptAlphabet[start+v>>shift]}
	for chars--; chars > 0; chars-- {
		shift -= 6
		out = append(out, cryptAlphabet[v>>shift&0x3f])
	}
	return string(out)
}

// FuzzYescryptSetting: the setting parser never panics, takes only
// parameters within the bounds, reads back what it would write, and a
// setting cheap enough to compute gives a hash that checks.
func FuzzYescryptSetting(f *testing.F) {
	for _, v := range yescryptVectors {
		f.Add(v.hash, v.password)
	}
	f.Add("$y$j75zzzzzz$abcdefgh$", "")
	f.Add("$y$jJT$abcdefgh", "")
	f.Add("$7$zzzzzzzzzzz$x", "")
	f.Add("$y$jzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz$", "")
	f.Add("$y$"+strings.Repeat("z", 40), "")
	f.Fuzz(func(t *testing.T, s, pw string) {
		y, err := parseYesSetting(s)
		if err != nil {
			return
		}
		mem, work, ok := y.params.cost()
		if !ok || mem > yescryptMaxMemory || work > yescryptMaxWork {
			t.Fatalf("%q: parsed beyond the bounds: %+v", s, y.params)
		}
		if strings.HasPrefix(s, "$y$") {
			flavor := y.params.flags
			if flavor >= yesRW {
				flavor = yesRW + (flavor-yesRW)>>2
			}
			logN := uint32(63 - leadingZeros(y.params.n))
			enc := "$y$" + encodeYesUint(flavor, 0) + encodeYesUint(logN, 1) + encodeYesUint(y.params.r, 1)
			have := uint32(0)
			if y.params.p != 1 {
				have |= 1
			}
			if y.params.t != 0 {
				have |= 2
			}
			if have != 0 {
				enc += encodeYesUint(have, 1)
			}
			if y.params.p != 1 {
				enc += encodeYesUint(y.params.p, 2)
			}
			if y.params.t != 0 {
				enc += encodeYesUint(y.params.t, 1)
			}
			if enc+"$" != y.prefix {
				t.Fatalf("%q: prefix %q reads back as %q", s, y.prefix, enc+"$")
			}
		}
		if work > 1<<12 {
			return // valid but slow: not what the fuzzer is for
		}
		h, err := Crypt([]byte(pw), s)
		if err != nil {
			t.Fatalf("Crypt(%q) after a good parse: %v", s, err)
		}
		if ok, err := CheckCrypt([]byte(pw), h); !ok || err != nil {
			t.Fatalf("CheckCrypt(%q) of its own hash: %v, %v", h, ok, err)
		}
	})
}

func leadingZeros(n uint64) int {
	i := 0
	for ; i < 64 && n&(1<<63) == 0; i++ {
		n <<= 1
	}
	return i
}

// A random password and salt at the smallest cost round-trip through
// Crypt and CheckCrypt; this keeps salts of every length in play.
func TestYescryptSaltLengths(t *testing.T) {
	for n := 0; n <= 64; n += 7 {
		salt := make([]byte, n)
		rand.Read(salt)
		var enc []byte
		for i := 0; i < n; i += 3 {
			var b [3]byte
			k := copy(b[:], salt[i:])
			enc = appendB64(enc, b[2], b[1], b[0], (8*k+5)/6)
		}
		y, err := parseYesSetting("$y$j/5$" + string(enc))
		if err != nil || !bytes.Equal(y.saltB, salt) {
			t.Errorf("salt of %d bytes: %v, decoded %x, want %x", n, err, y.saltB, salt)
		}
	}
}
