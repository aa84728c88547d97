package passwd

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePasswdLine(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		why  string
	}{
		{"demo:x:1000:1000:Demo User:/home/demo:/bin/sh", true, "ordinary entry"},
		{"demo:x:1000:1000::/home/demo:", true, "empty gecos and shell"},
		{"#demo:x:1000:1000::/home/demo:/bin/sh", false, "comment"},
		{"+demo:::::: ", false, "NIS inclusion is not an entry"},
		{"demo:x:1000:1000:/home/demo:/bin/sh", false, "six fields"},
		{"demo:x:-1:1000::/home/demo:/bin/sh", false, "negative uid"},
		{"demo:x:99999999999:1000::/home/demo:/bin/sh", false, "uid out of range"},
		{":x:1:1::/:/bin/sh", false, "empty name"},
		{"", false, "empty line"},
	}
	for _, c := range cases {
		if _, ok := ParsePasswdLine(c.line); ok != c.ok {
			t.Errorf("%s: ParsePasswdLine(%q) ok = %v", c.why, c.line, ok)
		}
	}
}

func TestParseShadowLine(t *testing.T) {
	cases := []struct {
		line   string
		ok     bool
		expire int64
		why    string
	}{
		{"demo:$6$x$y:19000:0:99999:7:::", true, -1, "ordinary entry"},
		{"demo:$6$x$y", true, -1, "two fields are enough"},
		{"demo:$6$x$y:19000:0:99999:7::20000:", true, 20000, "expiry day"},
		{"demo:$6$x$y:19000:0:99999:7::soon:", false, 0, "bad expiry"},
		{"demo", false, 0, "no hash field"},
		{"demo:a:b:c:d:e:f:g:h:i", false, 0, "ten fields"},
		{"#demo:x", false, 0, "comment"},
	}
	for _, c := range cases {
		e, ok := ParseShadowLine(c.line)
		if ok != c.ok || ok && e.Expire != c.expire {
			t.Errorf("%s: ParseShadowLine(%q) = %+v, %v", c.why, c.line, e, ok)
		}
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := writeFileMode(p, text, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookupSystem(t *testing.T) {
	dir := t.TempDir()
	h, _ := Crypt([]byte("secret"), "$6$abcdefgh")
	pw := writeFile(t, dir, "passwd", "root:x:0:0:root:/root:/bin/sh\nshadowed:x:1000:100::/home/s:/bin/sh\nnoshadow:"+h+":1001:100::/home/n:/bin/sh\nmissing:x:1002:100::/home/m:/bin/sh\n")
	sh := writeFile(t, dir, "shadow", "shadowed:"+h+":19000:0:99999:7::1:\n")
	cases := []struct {
		name, hash string
		err        error
		why        string
	}{
		{"shadowed", h, nil, "hash from the shadow file"},
		{"noshadow", h, nil, "hash kept in the passwd file"},
		{"missing", "*", nil, "x without a shadow entry is locked"},
		{"nobody", "", ErrNoUser, "unknown user"},
	}
	for _, c := range cases {
		u, err := LookupSystem(pw, sh, c.name)
		if !errors.Is(err, c.err) || err == nil && u.Hash != c.hash {
			t.Errorf("%s: LookupSystem(%s) = %+v, %v", c.why, c.name, u, err)
		}
	}
	u, _ := LookupSystem(pw, sh, "shadowed")
	if !u.Expired(time.Now()) {
		t.Errorf("an account that expired on day 1 is not expired")
	}
	if _, err := LookupSystem(pw, filepath.Join(dir, "none"), "shadowed"); err == nil || errors.Is(err, ErrNoUser) {
		t.Errorf("a missing shadow file for an x entry must be a temporary error, got %v", err)
	}
}

func TestParseVPasswd(t *testing.T) {
	cases := []struct {
		text string
		ok   bool
		why  string
	}{
		{"demo:{PLAIN}demo:::/home/demo\n", true, "clear password, invoking user"},
		{"Demo@Example.COM:{PLAIN}a:b:c:1000:100:/var/vmail/demo\n", true, "secret containing colons"},
		{"# comment\n\nx:$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/:1:1:/h\r\n", true, "comment, blank line, CRLF, crypt"},
		{"x:{CRAM-MD5}" + strings.Repeat("ab", 32) + ":1:1:/h\n", true, "CRAM-MD5 states"},
		{"x:{CRAM-MD5}abcd:1:1:/h\n", false, "short CRAM-MD5 states"},
		{"x:demo:1:1:/h\n", false, "a secret without scheme"},
		{"x:{PLAIN}demo:1::/h\n", false, "uid without gid"},
		{"x:{PLAIN}demo:::home\n", false, "relative home"},
		{"x:{PLAIN}demo:/h\n", false, "too few fields"},
		{"x y:{PLAIN}demo:::/h\n", false, "space in the name"},
		{"a:{PLAIN}1:::/h\nA:{PLAIN}2:::/h\n", false, "duplicate name in another case"},
		{"x:abJnggxhB/yWI:::/h\n", false, "DES hash"},
	}
	for _, c := range cases {
		_, err := ParseVPasswd([]byte(c.text))
		if (err == nil) != c.ok {
			t.Errorf("%s: ParseVPasswd(%q) = %v", c.why, c.text, err)
		}
	}
}

func TestSecrets(t *testing.T) {
	const pw, challenge = "tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>"
	// RFC 2195's example: user tim, password tanstaaftanstaaf.
	const rfc2195 = "b913a602c7eda7a495b4e6e7334d3890"
	const apopTS = "<1896.697170952@dbc.mtview.ca.us>"
	// RFC 1939's APOP example (password tanstaaf).
	const rfc1939 = "c4c9334bac560ecc979e58001b3e22fb"
	mac := hmac.New(md5.New, []byte(pw))
	mac.Write([]byte(challenge))
	if hex.EncodeToString(mac.Sum(nil)) != rfc2195 {
		t.Fatal("the RFC 2195 example does not hold for HMAC-MD5 itself")
	}
	plain, _ := ParseSecret("{PLAIN}" + pw)
	cram := CramMD5Secret([]byte(pw))
	crypted, _ := Crypt([]byte(pw), "$5$salt")
	cr, _ := ParseSecret(crypted)
	apop, _ := ParseSecret("{PLAIN}tanstaaf")
	long := CramMD5Secret(bytes.Repeat([]byte("k"), 100))
	longMac := hmac.New(md5.New, bytes.Repeat([]byte("k"), 100))
	longMac.Write([]byte(challenge))
	cases := []struct {
		got, want bool
		why       string
	}{
		{plain.CheckPassword([]byte(pw)), true, "plain: right password"},
		{plain.CheckPassword([]byte(pw[:5])), false, "plain: prefix of the password"},
		{cram.CheckPassword([]byte(pw)), true, "CRAM-MD5 states open with the password"},
		{cram.CheckPassword([]byte("x")), false, "CRAM-MD5 states: wrong password"},
		{cr.CheckPassword([]byte(pw)), true, "crypt: right password"},
		{plain.CheckCRAM([]byte(challenge), []byte(rfc2195)), true, "RFC 2195 from the clear password"},
		{plain.CheckCRAM([]byte(challenge), []byte(strings.ToUpper(rfc2195))), true, "upper-case hex digest"},
		{cram.CheckCRAM([]byte(challenge), []byte(rfc2195)), true, "RFC 2195 from precomputed states"},
		{cram.CheckCRAM([]byte(challenge+"x"), []byte(rfc2195)), false, "other challenge"},
		{cr.CheckCRAM([]byte(challenge), []byte(rfc2195)), false, "a crypt hash cannot answer CRAM-MD5"},
		{long.CheckCRAM([]byte(challenge), []byte(hex.EncodeToString(longMac.Sum(nil)))), true, "key longer than a block is hashed first"},
		{apop.CheckAPOP([]byte(apopTS), []byte(rfc1939)), true, "RFC 1939 APOP example"},
		{apop.CheckAPOP([]byte(""), []byte(rfc1939)), false, "no timestamp, no APOP"},
		{cram.CheckAPOP([]byte(apopTS), []byte(rfc1939)), false, "APOP needs the clear password"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v", c.why, c.got)
		}
	}
	if back, err := ParseSecret(cram.String()); err != nil || !bytes.Equal(back.Cram, cram.Cram) {
		t.Errorf("CRAM-MD5 secret does not survive its text form: %v", err)
	}
}

func TestVPasswdCDB(t *testing.T) {
	dir := t.TempDir()
	users, err := ParseVPasswd([]byte("Demo:{PLAIN}x:y:::/home/demo\nother@example.com:{PLAIN}z:12:34:/var/vmail/o\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "vpasswd.cdb")
	if err := WriteVPasswdCDB(p, users, 0o640); err != nil {
		t.Fatal(err)
	}
	if st, _ := statMode(p); st != 0o640 {
		t.Errorf("mode %o, want the text file's 640", st)
	}
	u, err := LookupVUser(p, "DEMO")
	if err != nil || u.Name != "demo" || u.Secret.Plain != "x:y" || u.UID != -1 || u.Home != "/home/demo" {
		t.Errorf("demo: %+v, %v", u, err)
	}
	u, err = LookupVUser(p, "other@example.com")
	if err != nil || u.UID != 12 || u.GID != 34 {
		t.Errorf("other: %+v, %v", u, err)
	}
	if _, err := LookupVUser(p, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := LookupVUser(filepath.Join(dir, "none.cdb"), "demo"); err == nil || errors.Is(err, ErrNoUser) {
		t.Errorf("missing table must be a temporary error: %v", err)
	}
}

func TestParseInput(t *testing.T) {
	cases := []struct {
		in         string
		ok, cram   bool
		user, pass string
		why        string
	}{
		{"u\x00p\x00<1.2@h>\x00", true, false, "u", "p", "USER/PASS"},
		{"u\x00p\x00\x00", true, false, "u", "p", "SMTP PLAIN: empty third field"},
		{"u\x00p\x00", true, false, "u", "p", "third field missing"},
		{"u\x00<1.2@h>\x00b913a602c7eda7a495b4e6e7334d3890\x00", true, true, "u", "<1.2@h>", "CRAM-MD5 triple"},
		{"u\x00c4c9334bac560ecc979e58001b3e22fb\x00<1.2@h>\x00", true, false, "u", "c4c9334bac560ecc979e58001b3e22fb", "APOP is not CRAM"},
		{"u\x00p", false, false, "", "", "password without NUL"},
		{"u", false, false, "", "", "user only"},
		{"", false, false, "", "", "nothing"},
	}
	for _, c := range cases {
		in, err := ParseInput([]byte(c.in))
		if (err == nil) != c.ok || c.ok && (string(in.User) != c.user || string(in.Secret) != c.pass || in.LooksLikeCRAM() != c.cram) {
			t.Errorf("%s: ParseInput(%q) = %q %q %q cram=%v, %v", c.why, c.in, in.User, in.Secret, in.Extra, in.LooksLikeCRAM(), err)
		}
	}
}

func FuzzParsePasswdLine(f *testing.F) {
	f.Add("demo:x:1000:1000:Demo:/home/demo:/bin/sh")
	f.Add("demo:$6$x$y:19000:0:99999:7::20000:")
	f.Add("+::::::")
	f.Fuzz(func(t *testing.T, line string) {
		if u, ok := ParsePasswdLine(line); ok && (u.Name == "" || u.UID < 0 || u.GID < 0) {
			t.Fatalf("accepted %q as %+v", line, u)
		}
		if e, ok := ParseShadowLine(line); ok && e.Name == "" {
			t.Fatalf("accepted %q as %+v", line, e)
		}
	})
}

func FuzzParseVPasswd(f *testing.F) {
	f.Add([]byte("demo:{PLAIN}demo:::/home/demo\n"))
	f.Add([]byte("x:{CRAM-MD5}" + strings.Repeat("ab", 32) + ":1:1:/h\n# c\n"))
	f.Add([]byte("x:$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/:1:1:/h\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		users, err := ParseVPasswd(b)
		if err != nil {
			return
		}
		for _, u := range users {
			// What the cdb stores must read back as the same user.
			back, err := decodeVUser(u.Name, u.encode())
			if err != nil || back.Name != u.Name || back.Home != u.Home || back.UID != u.UID || back.Secret.String() != u.Secret.String() {
				t.Fatalf("%+v does not survive the cdb record: %+v, %v", u, back, err)
			}
		}
	})
}

func FuzzParseInput(f *testing.F) {
	f.Add([]byte("u\x00p\x00<1.2@h>\x00"))
	f.Add([]byte("u\x00<1.2@h>\x00b913a602c7eda7a495b4e6e7334d3890\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseInput(b)
		if err == nil && bytes.IndexByte(in.User, 0) >= 0 {
			t.Fatalf("user with NUL from %q", b)
		}
	})
}
