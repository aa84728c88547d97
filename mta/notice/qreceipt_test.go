package notice

import (
	"bufio"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/inject"
	"github.com/quail-mta/quail/mta/local"
)

func header(t testing.TB, text string) []inject.Field {
	t.Helper()
	fields, err := inject.ReadHeader(bufio.NewReader(strings.NewReader(text)))
	if err != nil {
		t.Fatal(err)
	}
	return fields
}

// The notice as qreceipt.c writes it (qmail 1.03).
const joeNotice = "From: DELIVERY NOTICE SYSTEM <bob@sender.example>\n" +
	"To: <bob@sender.example>\n" +
	"Subject: success notice\n" +
	"\n" +
	"Hi! This is the qreceipt program. Your message was delivered to the\n" +
	"following address: joe@nowhere.mil. Thanks for asking.\n" +
	"Your Message-ID: <1.2@sender.example>\n"

func TestReceipt(t *testing.T) {
	const target = "joe@nowhere.mil"
	tests := []struct {
		why, header, sender string
		want                string // "" for no notice
	}{
		{"the address asked for", "Message-ID: <1.2@sender.example>\nNotice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\n", "bob@sender.example", joeNotice},
		{"among several, with a name and angle brackets",
			"Notice-Requested-Upon-Delivery-To: ann@x.example,\n \"Joe Q\" <joe@nowhere.mil> (home)\nMessage-ID: <1.2@sender.example>\n\n", "bob@sender.example", joeNotice},
		{"field name in any case", "message-id: <1.2@sender.example>\nnotice-requested-upon-delivery-to: joe@nowhere.mil\n\n", "bob@sender.example",
			strings.Replace(joeNotice, "Your Message-ID:", "Your message-id:", 1)},
		{"quoting undone before comparing", "Notice-Requested-Upon-Delivery-To: \"joe\"@nowhere.mil\n\n", "bob@sender.example",
			strings.TrimSuffix(joeNotice, "Your Message-ID: <1.2@sender.example>\n")},
		{"blanks inside the address dropped", "Notice-Requested-Upon-Delivery-To: joe @ nowhere.mil\n\n", "bob@sender.example",
			strings.TrimSuffix(joeNotice, "Your Message-ID: <1.2@sender.example>\n")},
		{"the last Message-ID, folded lines kept", "Message-ID: <old@x>\nMessage-ID:\n <1.2@sender.example>\nNotice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\n", "bob@sender.example",
			strings.Replace(joeNotice, "Your Message-ID: <1.2@sender.example>\n", "Your Message-ID:\n <1.2@sender.example>\n", 1)},
		{"an address that needs quoting is quoted", "Notice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\n", "bob smith@sender.example",
			strings.NewReplacer("<bob@sender.example>", "<\"bob smith\"@sender.example>", "Your Message-ID: <1.2@sender.example>\n", "").Replace(joeNotice)},
		{"another address only", "Notice-Requested-Upon-Delivery-To: ann@nowhere.mil\n\n", "bob@sender.example", ""},
		{"the comparison is exact", "Notice-Requested-Upon-Delivery-To: Joe@Nowhere.mil\n\n", "bob@sender.example", ""},
		{"no request", "Message-ID: <1.2@sender.example>\nSubject: hi\n\n", "bob@sender.example", ""},
		{"the request in another field", "To: joe@nowhere.mil\nReturn-Receipt-To: joe@nowhere.mil\n\n", "bob@sender.example", ""},
		{"no notice for a bounce", "Notice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\n", "", ""},
		{"no notice for a double bounce", "Notice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\n", "#@[]", ""},
	}
	for _, tt := range tests {
		msg, ok := Receipt(header(t, tt.header), target, tt.sender)
		if ok != (tt.want != "") || string(msg) != tt.want {
			t.Errorf("%s: notice %v\n%s\nwant\n%s", tt.why, ok, msg, tt.want)
		}
	}
}

// FuzzReceipt: any header gives either no notice or one addressed to the
// sender, naming the target.
func FuzzReceipt(f *testing.F) {
	f.Add("Notice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\n", "joe@nowhere.mil", "bob@x")
	f.Add("Notice-Requested-Upon-Delivery-To: \"j\\\"oe\" <joe@n>, (c) x;\n\n", "j\"oe", "\"@x")
	f.Add("Message-ID: <a>\nnotice-requested-upon-delivery-to: a@b\n\n", "a@b", "#@[]")
	f.Fuzz(func(t *testing.T, hdr, target, sender string) {
		fields, err := inject.ReadHeader(bufio.NewReader(strings.NewReader(hdr)))
		if err != nil {
			return
		}
		msg, ok := Receipt(fields, target, sender)
		if !ok {
			return
		}
		if sender == "" || sender == "#@[]" {
			t.Fatalf("a notice to %q", sender)
		}
		q := local.QuoteAddress(sender)
		if !strings.HasPrefix(string(msg), "From: DELIVERY NOTICE SYSTEM <"+q+">\nTo: <"+q+">\n") ||
			!strings.Contains(string(msg), "following address: "+target+". Thanks for asking.\n") {
			t.Fatalf("notice %q", msg)
		}
	})
}
