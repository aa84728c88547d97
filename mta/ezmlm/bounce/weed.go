// Package bounce is the bounce handling of an ezmlm list: ezmlm-weed
// (drop what only looks like a bounce), ezmlm-return (record a bounce
// for the subscriber it names) and ezmlm-warn (warn a subscriber whose
// mail keeps bouncing, probe when the warning bounces too, remove the
// address when the probe bounces), in ezmlm-idx 7's bounce directory
// layout:
//
//	bounce/d/DAY/dTIME.PID      the first bounce of an address, since DAY*10000 s
//	bounce/d/DAY/wTIME.PID      a bounced warning
//	bounce/h/X/hHASH            the message numbers that bounced for an address
//	bounce/lastd, bounce/lasth  when ezmlm-warn last looked
//
// A d or w file holds the address, a NUL, then the bounce. HASH is the
// address's cookie with an empty key, X its first letter. The cycle:
// a post bounces (ezmlm-return stores it); once its d file is older
// than ezmlm-warn's timeout (-t days, 11.57 by default) and the address
// is still subscribed, ezmlm-warn sends the address a warning from
// LIST-return-warn-TIME.COOKIE-box=domain@HOST naming the bounced
// messages; if the warning bounces, ezmlm-return stores a w file, and
// the next ezmlm-warn after the timeout sends a probe from
// LIST-return-probe-TIME.COOKIE-box=domain@HOST; if the probe bounces,
// ezmlm-return unsubscribes the address ("-probe" in the Log).
package bounce

import (
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

// Weed is ezmlm-weed: exit 99 (qmail-local skips the rest of the
// .qmail file) for what is no failure report: success and deferral
// notices, autoresponders, mailing list traffic, delivery status
// notifications whose action is not "failed", and sendmail's
// "cannot send message for 4 hours" warnings; 0 for everything else.
func Weed(inv *cli.Invocation) int {
	m, err := mail.Read(inv.Stdin)
	if err != nil {
		return mail.Report(inv, err)
	}
	if weeded(m) {
		return mail.ExitSkip
	}
	return mail.ExitOK
}

// weedPrefixes are header lines (case as written) that mark a message
// to drop at once.
var weedPrefixes = []string{
	"Subject: success notice", "Subject: deferral notice",
	"Precedence: bulk", "Precedence: junk", "Precedence: list", "Auto-Submitted:",
	"Mailing-List:", "List-ID:", "X-Mailing-List:", "X-ML-Name:", "List-Help:", "List-Unsubscribe:",
	"List-Subscribe:", "List-Post:", "List-Owner:", "List-Archive:",
	"Subject: Message status - delivered", "Subject: Message status - opened",
	"Subject: Out of Office AutoReply:", "X-Amazon-Auto-Reply:", "X-Mailer: KANA Response",
	"Thread-Topic: AutoResponse", "Subject: AutoResponse -",
}

const (
	warn1 = "    **********************************************"
	warn2 = "    **      THIS IS A WARNING MESSAGE ONLY      **"
	warn3 = "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **"
)

func weeded(m *mail.Message) bool {
	var mds, sw, sr, as bool
	report := ""
	for _, h := range m.Header {
		for _, p := range weedPrefixes {
			if strings.HasPrefix(h, p) {
				return true
			}
		}
		mds = mds || strings.HasPrefix(h, "From: Mail Delivery Subsystem <MAILER-DAEMON@")
		sw = sw || strings.HasPrefix(h, "Subject: Warning: could not send message")
		sr = sr || strings.HasPrefix(h, "Subject: Returned mail: warning: cannot send message")
		as = as || strings.HasPrefix(h, "Auto-Submitted: auto-generated (warning")
		if len(h) > 30 && strings.EqualFold(h[:30], "Content-type: multipart/report") {
			report = mail.Unfold(h)
		}
	}
	lines := strings.SplitAfter(string(m.Body), "\n")
	if report != "" {
		if action, ok := dsnAction(report, lines); ok {
			return action != "failed"
		}
	}
	at := func(i int) string {
		if i < len(lines) {
			return lines[i]
		}
		return ""
	}
	bw := strings.HasPrefix(at(0), "This is a MIME-encapsulated message") && strings.HasPrefix(at(2), "--") &&
		strings.HasPrefix(at(4), warn1) && strings.HasPrefix(at(5), warn2) && strings.HasPrefix(at(6), warn3) && strings.HasPrefix(at(7), warn1) ||
		strings.HasPrefix(at(0), warn1) && strings.HasPrefix(at(1), warn2) && strings.HasPrefix(at(2), warn3) && strings.HasPrefix(at(3), warn1)
	return mds && sw && as && bw || mds && sr && bw
}

// dsnAction finds the Action of a delivery-status report; ok is false
// when the message is no such report.
func dsnAction(ctype string, lines []string) (string, bool) {
	deliveryStatus := false
	boundary := ""
	for _, p := range strings.Split(ctype, ";")[1:] {
		p = strings.TrimSpace(p)
		k, v, _ := strings.Cut(p, "=")
		v = strings.Trim(strings.TrimSpace(v), "\"")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "report-type":
			deliveryStatus = strings.HasPrefix(strings.ToLower(v), "delivery-status")
		case "boundary":
			boundary = v
		}
	}
	if !deliveryStatus || boundary == "" {
		return "", false
	}
	inStatus := false
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\n")
		if strings.HasPrefix(l, "--"+boundary) {
			if strings.HasSuffix(l, "--") && len(l) == len(boundary)+4 {
				return "", true // the end without an action: not a failure
			}
			inStatus = false
			if i+1 < len(lines) && mail.Is(lines[i+1], "content-type") &&
				strings.HasPrefix(strings.ToLower(strings.TrimSpace(mail.Value(lines[i+1]))), "message/delivery-status") {
				inStatus = true
				i++
			}
			continue
		}
		if inStatus && mail.Is(l+"\n", "action") {
			return strings.ToLower(strings.TrimSpace(mail.Value(l))), true
		}
	}
	return "", false
}
