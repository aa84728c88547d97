package smtpd

import (
	"encoding/base64"
	"strings"
	"testing"
)

// exe is the start of a Windows executable: "MZ" and the DOS header. Its
// first nine base64 characters, "TVqQAAMAA", are the line Spamcontrol's
// badmimetypes suggests for it.
var exe = base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x00"))

// loader is a text that base64-encodes with the 5-character key "Mi5kb"
// in the middle of a line (".dll" after a 2-byte-aligned prefix).
var loader = base64.StdEncoding.EncodeToString([]byte("xxxxxxxxxxxx2.dll!!!"))

func mimeMessage(ctype, body string) string {
	return "From: a@b\nMIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary=\"XyZ\"\n\npreamble\n--XyZ\nContent-Type: text/plain\n\nhello\n--XyZ\nContent-Type: " + ctype + "; name=\"f\"\nContent-Transfer-Encoding: base64\n\n" + body + "\n--XyZ--\n"
}

func keys(k ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range k {
		m[s] = true
	}
	return m
}

func TestWarlord(t *testing.T) {
	if !strings.Contains(loader, "Mi5kb") || !strings.HasPrefix(exe, "TVqQAAMAA") {
		t.Fatalf("test data: %s %s", loader, exe)
	}
	types := WarlordConfig{MimeTypes: keys("TVqQAAMAA")}
	loaders := WarlordConfig{Loaders: keys("Mi5kb"), LoaderLetters: "M"}
	blanks := WarlordConfig{Whitespace: true}
	cases := []struct {
		why string
		cfg WarlordConfig
		msg string
		hit string
	}{
		{"executable by its first nine base64 characters", types, mimeMessage("application/octet-stream", exe), "mime:TVqQAAMAA"},
		{"the Content-Type does not matter", types, mimeMessage("image/png", exe), "mime:TVqQAAMAA"},
		{"harmless base64 attachment", types, mimeMessage("application/pdf", "JVBERi0xLjQK"), ""},
		{"the key further in is not a type", types, mimeMessage("application/pdf", "JVBERi"+exe), ""},
		{"signature in a text part is just text", types, "Subject: x\n\n" + exe + "\n", ""},
		{"single-part base64 message", types, "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n\n" + exe + "\n", "mime:TVqQAAMAA"},
		{"nested multipart", types, "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: BASE64\n\n" + exe + "\n--b--\n--a--\n", "mime:TVqQAAMAA"},
		{"loader anywhere in a line", loaders, mimeMessage("application/octet-stream", "QUJD\n"+loader), "loader:Mi5kb"},
		{"loader of another letter is not looked for", WarlordConfig{Loaders: keys("Mi5kb"), LoaderLetters: "T"}, mimeMessage("application/octet-stream", loader), ""},
		{"loader in a text part", loaders, "Subject: x\n\n" + loader + "\n", ""},
		{"blank inside a base64 line", blanks, mimeMessage("application/octet-stream", "QUJD REVG"), "base64_whitespace"},
		{"trailing blanks are not counted", blanks, mimeMessage("application/octet-stream", "QUJDREVG  "), ""},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 7, 4096} {
			w := NewWarlord(c.cfg, false)
			for i := 0; i < len(c.msg); i += chunk {
				end := min(i+chunk, len(c.msg))
				w.Write([]byte(c.msg[i:end]))
			}
			if w.Hit() != c.hit {
				t.Errorf("%s (chunks of %d): hit %q, want %q", c.why, chunk, w.Hit(), c.hit)
			}
		}
	}
	if NewWarlord(WarlordConfig{}, false) != nil {
		t.Errorf("a scanner with nothing to look for")
	}
	if NewWarlord(WarlordConfig{MimeTypes: keys("x"), MimeRelayExempt: true, Loaders: keys("y"), LoaderRelayExempt: true}, true) != nil {
		t.Errorf("\"+\" checks relay clients")
	}
	if NewWarlord(WarlordConfig{MimeTypes: keys("x"), MimeRelayExempt: true, Loaders: keys("y")}, true) == nil {
		t.Errorf("BADLOADERTYPE without \"+\" spares relay clients")
	}
}

func TestWarlordRefusesInSession(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.Filters.Warlord = WarlordConfig{MimeTypes: keys("TVqQAAMAA"), MimeRelayExempt: true}
	msg := strings.ReplaceAll(mimeMessage("application/octet-stream", exe), "\n", "\r\n")
	in := "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\n" + msg + ".\r\nQUIT\r\n"
	out, log := dialog(t, cfg, []string{"QDIR=" + dir}, in)
	if got := replyCodes(out); got != "220 250 250 354 554 221" || !strings.Contains(log, "Reject::DATA::Warlord") || !strings.Contains(log, " mime:TVqQAAMAA\n") {
		t.Fatalf("%s\n%s\n%s", got, out, log)
	}
	relay := ""
	cfg.RelayClient = &relay
	if out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, in); replyCodes(out) != "220 250 250 354 250 221" {
		t.Fatalf("BADMIMETYPE=+ refused a relay client's message:\n%s", out)
	}
}

func FuzzWarlord(f *testing.F) {
	f.Add(mimeMessage("application/octet-stream", exe))
	f.Add("Content-Type: multipart/x; boundary=\"\"\n\n--\n--\n")
	f.Fuzz(func(t *testing.T, msg string) {
		w := NewWarlord(WarlordConfig{MimeTypes: keys("TVqQAAMAA"), Whitespace: true, Loaders: keys("Mi5kb"), LoaderLetters: "M"}, false)
		w.Write([]byte(msg))
		if len(w.boundaries) > 32 || len(w.header) > maxHeaderBlock+1002 || len(w.carry) >= LoaderTypeLen || len(w.first) > MimeTypeLen {
			t.Fatalf("state grew without bound")
		}
	})
}
