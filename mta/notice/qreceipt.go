package notice

import (
	"bufio"
	"errors"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/inject"
	"github.com/quail-mta/quail/mta/local"
	"github.com/quail-mta/quail/mta/qqueue"
)

// NoticeField is the header field that asks for a success notice.
const NoticeField = "Notice-Requested-Upon-Delivery-To"

// Receipt is the notice qreceipt sends for a message with header fields
// to the envelope sender returnPath, delivered to target, as qreceipt.c
// writes it; ok is false when none is due: target is not among the
// addresses of a Notice-Requested-Upon-Delivery-To field (compared byte
// for byte, once quoting is undone), or the sender is empty or the
// double-bounce sender "#@[]". The notice names the message by its last
// Message-ID field, copied as it stands.
func Receipt(fields []inject.Field, target, returnPath string) (msg []byte, ok bool) {
	asked := false
	messageID := ""
	for _, f := range fields {
		switch {
		case strings.EqualFold(f.Name, "Message-ID"):
			messageID = f.Name + ":" + f.Value + "\n"
		case strings.EqualFold(f.Name, NoticeField):
			for _, a := range inject.Addresses(f.Value) {
				if unquote(a.Addr) == target {
					asked = true
				}
			}
		}
	}
	if !asked || returnPath == "" || returnPath == "#@[]" {
		return nil, false
	}
	q := local.QuoteAddress(returnPath)
	var b strings.Builder
	b.WriteString("From: DELIVERY NOTICE SYSTEM <" + q + ">\n")
	b.WriteString("To: <" + q + ">\n")
	b.WriteString("Subject: success notice\n\n")
	b.WriteString("Hi! This is the qreceipt program. Your message was delivered to the\n")
	b.WriteString("following address: " + target + ". Thanks for asking.\n")
	if messageID != "" {
		b.WriteString("Your " + messageID)
	}
	return []byte(b.String()), true
}

// unquote is an address as token822_unquote gives it: quoted strings
// without their quotes, backslash escapes resolved, blanks outside quotes
// dropped.
func unquote(a string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c == '\\' && i+1 < len(a):
			i++
			b.WriteByte(a[i])
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

const qreceiptUsage = "deliveryaddress"

// Qreceipt is qreceipt(1), run from a .qmail file as "|qreceipt
// youraddress": it reads the message's header and, when a notice is due
// (Receipt), queues it with the empty envelope sender to $SENDER.
//
// Exit codes: 0 (notice sent or none due), 100 usage ($SENDER not set
// either) or a permanent refusal of qmail-queue, 111 a temporary failure.
func Qreceipt(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage(qreceiptUsage)
	}
	target := inv.Args[1]
	returnPath, ok := inv.Getenv("SENDER")
	if !ok {
		return inv.Usage(qreceiptUsage)
	}
	fields, err := inject.ReadHeader(bufio.NewReaderSize(inv.Stdin, 16<<10))
	if errors.Is(err, inject.ErrHeaderTooLong) {
		// qreceipt.c reads any header; a notice request past 1 MiB of
		// header is not worth deferring the delivery for ever.
		return cli.ExitOK
	}
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read message: %v", err)
	}
	msg, ok := Receipt(fields, target, returnPath)
	if !ok {
		return cli.ExitOK
	}
	in := qqueue.Injection{
		Home:    qmailhome.Dir(inv.Getenv),
		Program: qqueue.Program(inv.Getenv),
		Env:     inv.Env,
		Stderr:  inv.Stderr,
	}
	r := in.Run(msg, strings.NewReader(""), "", []string{returnPath})
	switch {
	case r.OK():
		return cli.ExitOK
	case r.Permanent():
		return inv.Fatal(cli.ExitPermanent, "permanent qmail-queue error: %s", r.Reason())
	}
	return inv.Fatal(cli.ExitTemporary, "temporary qmail-queue error: %s", r.Reason())
}
