package smtpd

import (
	"encoding/base64"
	"strings"
	"testing"
)

// exe is the start of a Windows executable: "MZ" and the DOS header.
var exe = base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x00"))

func mimeMessage(ctype, body string) string {
	return "From: a@b\nMIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary=\"XyZ\"\n\npreamble\n--XyZ\nContent-Type: text/plain\n\nhello\n--XyZ\nContent-Type: " + ctype + "; name=\"f\"\nContent-Transfer-Encoding: base64\n\n" + body + "\n--XyZ--\n"
}

func TestWarlord(t *testing.T) {
	loaders := []string{"TVqQAAMAAAAEAAAA"}
	types := []string{"application/x-msdownload"}
	cases := []struct {
		why, msg string
		hit      bool
	}{
		{"executable attachment by loader signature", mimeMessage("application/octet-stream", exe), true},
		{"listed MIME type", mimeMessage("Application/X-MSDownload", "aGVsbG8="), true},
		{"harmless base64 attachment", mimeMessage("application/pdf", "JVBERi0xLjQK"), false},
		{"signature in a text part is just text", "Subject: x\n\n" + exe + "\n", false},
		{"single-part base64 message", "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n\n" + exe + "\n", true},
		{"nested multipart", "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: BASE64\n\n" + exe + "\n--b--\n--a--\n", true},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 7, 4096} {
			w := NewWarlord(types, loaders)
			for i := 0; i < len(c.msg); i += chunk {
				end := min(i+chunk, len(c.msg))
				w.Write([]byte(c.msg[i:end]))
			}
			if (w.Hit() != "") != c.hit {
				t.Errorf("%s (chunks of %d): hit %q", c.why, chunk, w.Hit())
			}
		}
	}
	if NewWarlord(nil, nil) != nil {
		t.Errorf("a scanner with nothing to look for")
	}
}

func TestWarlordRefusesInSession(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.Filters.BadLoaderTypes = []string{"TVqQAAMAAAAEAAAA"}
	msg := strings.ReplaceAll(mimeMessage("application/octet-stream", exe), "\n", "\r\n")
	out, log := dialog(t, cfg, []string{"QDIR=" + dir}, "MAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\n"+msg+".\r\nQUIT\r\n")
	if got := replyCodes(out); got != "220 250 250 354 554 221" || !strings.Contains(log, "Reject::DATA::Warlord") {
		t.Fatalf("%s\n%s\n%s", got, out, log)
	}
}

func FuzzWarlord(f *testing.F) {
	f.Add(mimeMessage("application/octet-stream", exe))
	f.Add("Content-Type: multipart/x; boundary=\"\"\n\n--\n--\n")
	f.Fuzz(func(t *testing.T, msg string) {
		w := NewWarlord([]string{"a/b"}, []string{"TVq"})
		w.Write([]byte(msg))
		if len(w.boundaries) > 32 || len(w.header) > maxHeaderBlock+1002 {
			t.Fatalf("state grew without bound")
		}
	})
}
