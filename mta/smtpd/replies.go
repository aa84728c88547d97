package smtpd

import (
	"strconv"
	"strings"
)

// Reply is one SMTP reply (RFC 5321 4.2): the code, the enhanced status
// code of RFC 3463 ("" for none) and the text. The enhanced code is sent
// only after EHLO, where ENHANCEDSTATUSCODES was announced (RFC 2034);
// qmail's own "(#x.y.z)" at the end of the text is sent always, as
// qmail-smtpd does, and log parsers look for it.
type Reply struct {
	Code     int
	Enhanced string
	Text     string
}

// Line is the reply as sent, CR LF included.
func (r Reply) Line(esmtp bool) string {
	code := strconv.Itoa(r.Code)
	if r.Enhanced != "" && esmtp {
		return code + " " + r.Enhanced + " " + r.Text + "\r\n"
	}
	return code + " " + r.Text + "\r\n"
}

// Every reply qmail-smtpd sends is defined here, once, beside what it
// follows. Where the text ends in qmail's "(#x.y.z)" the enhanced code
// agrees with it (TestRepliesAgree), except in three AUTH replies and the
// SPF refusals, marked below, whose texts are the originals' and whose
// enhanced codes are the RFCs'.
var (
	// qmail-smtpd.c 1.03's err_* and die_* replies, texts unchanged
	// (straynewline's page is at cr.yp.to now).
	replyUnimplemented = Reply{502, "5.5.1", "unimplemented (#5.5.1)"}                                         // err_unimpl
	replySyntax        = Reply{555, "5.5.4", "syntax error (#5.5.4)"}                                          // err_syntax
	replyWantMail      = Reply{503, "5.5.1", "MAIL first (#5.5.1)"}                                            // err_wantmail
	replyWantRcpt      = Reply{503, "5.5.1", "RCPT first (#5.5.1)"}                                            // err_wantrcpt
	replyBadMailFrom   = Reply{553, "5.7.1", "sorry, your envelope sender is in my badmailfrom list (#5.7.1)"} // err_bmf
	replyNoGateway     = Reply{553, "5.7.1", "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"}
	replyNoop          = Reply{250, "2.0.0", "ok"}                               // err_noop
	replyVrfy          = Reply{252, "2.1.5", "send some mail, i'll try my best"} // err_vrfy, RFC 5321 3.5.3
	replyQueueStart    = Reply{451, "4.3.0", "qq temporary problem (#4.3.0)"}    // qmail_open failed
	replyTooBig        = Reply{552, "5.3.4", "sorry, that message size exceeds my databytes limit (#5.3.4)"}
	replyLooping       = Reply{554, "5.4.6", "too many hops, this message is looping (#5.4.6)"} // MAXHOPS
	replyTimeout       = Reply{451, "4.4.2", "timeout (#4.4.2)"}                                // die_alarm
	replyNoControls    = Reply{421, "4.3.0", "unable to read controls (#4.3.0)"}                // die_control
	replyStrayNewline  = Reply{451, "4.5.0", "See https://cr.yp.to/docs/smtplf.html."}          // straynewline
	replyGoAhead       = Reply{354, "", "go ahead"}                                             // smtp_data
	replyFlushed       = Reply{250, "2.0.0", "flushed"}                                         // smtp_rset
	replyMailOK        = Reply{250, "2.1.0", "ok"}                                              // smtp_mail
	replyRcptOK        = Reply{250, "2.1.5", "ok"}                                              // smtp_rcpt
	replyHelp          = Reply{214, "2.0.0", "quail home page: https://github.com/quail-mta/quail"}

	// die_control's text where qmail-smtpd 1.03 would exit (rcpthosts
	// unreadable in RCPT): quail defers that one recipient and goes on.
	replyRcpthostsUnreadable = Reply{451, "4.3.0", "unable to read controls (#4.3.0)"}
	// Serve: $DNSCACHEIP or resolv.conf unreadable, before the greeting.
	replyNoDNSConfig = Reply{421, "4.3.0", "unable to read DNS configuration (#4.3.0)"}

	// Limits quail adds (RFC 5321 4.5.3.1; Spamcontrol's MAXRECIPIENTS).
	replyTooManyErrors = Reply{421, "4.7.0", "too many errors, closing connection (#4.7.0)"}
	replyLineTooLong   = Reply{500, "5.5.2", "line too long (#5.5.2)"}              // RFC 5321 4.5.3.1.4
	replyTooManyRcpts  = Reply{452, "4.5.3", "sorry, too many recipients (#4.5.3)"} // RFC 5321 4.5.3.1.10

	// MAIL and its parameters (RFC 1870 SIZE, RFC 6152 BODY).
	replyNested      = Reply{503, "5.5.1", "nested MAIL command (#5.5.1)"}
	replySizeSyntax  = Reply{501, "5.5.4", "syntax error in SIZE (#5.5.4)"}
	replyBodySyntax  = Reply{555, "5.5.4", "unsupported BODY type (#5.5.4)"}
	replyAddressForm = Reply{553, "5.7.1", "sorry, that address form is not accepted here (#5.7.1)"}

	// Spamcontrol's envelope checks (its qmail-smtpd(8)).
	replyBadHelo       = Reply{553, "5.7.1", "sorry, your HELO/EHLO greeting is not acceptable here (#5.7.1)"}
	replyHeloUnchecked = Reply{451, "4.4.3", "sorry, unable to check your HELO/EHLO greeting, try again later (#4.4.3)"}
	replySenderNoRDNS  = Reply{553, "5.7.1", "sorry, your envelope sender is not accepted from hosts without reverse DNS (#5.7.1)"}
	replySenderNoDNS   = Reply{553, "5.1.8", "sorry, your envelope sender domain must exist (#5.1.8)"} // RFC 3463 X.1.8
	replySenderDNSTemp = Reply{451, "4.4.3", "sorry, unable to check your envelope sender domain, try again later (#4.4.3)"}
	replyBadRcptTo     = Reply{553, "5.7.1", "sorry, your envelope recipient is in my badrcptto list (#5.7.1)"}
	replyNoMailbox     = Reply{550, "5.1.1", "sorry, no mailbox here by that name (#5.1.1)"}
	replyNoMailbox450  = Reply{450, "4.1.1", "sorry, no mailbox here by that name (#4.1.1)"} // $RECIPIENTS450
	replyRcptTemp      = Reply{451, "4.3.0", "sorry, unable to verify that recipient, try again later (#4.3.0)"}
	// A bounce to an SRS address of control/srsdomains that was not made
	// here or has expired (quail's text).
	replySRSInvalid = Reply{550, "5.1.1", "sorry, that SRS address is invalid or has expired (#5.1.1)"}
	// Warlord's refusal: quail's text, with the code of a policy refusal
	// on both sides (it said (#5.3.4), the size limit's code, before).
	replyWarlord = Reply{554, "5.7.1", "sorry, this message contains an attachment type we do not accept (#5.7.1)"}
	replySPFTemp = Reply{451, "4.4.3", "SPF lookup failed, try again later (#4.4.3)"}

	// CHUNKING and BINARYMIME (RFC 3030).
	replyDataAfterBdat   = Reply{503, "5.5.1", "DATA after BDAT (#5.5.1)"}
	replyRcptAfterBdat   = Reply{503, "5.5.1", "RCPT after BDAT (#5.5.1)"}
	replyBinaryNeedsBdat = Reply{503, "5.5.1", "BODY=BINARYMIME needs BDAT, not DATA (#5.5.1)"} // RFC 3030 3
	// A BDAT whose octet count cannot be read: the octets that follow
	// cannot be told from commands, so the session ends (RFC 5321 3.8's
	// 421 for a server closing the connection).
	replyBdatSyntax = Reply{421, "4.5.4", "syntax error in BDAT, closing connection (#4.5.4)"}

	// STARTTLS (RFC 3207 4).
	replyTLSReady    = Reply{220, "2.0.0", "ready to start TLS"}
	replyTLSActive   = Reply{503, "5.5.1", "TLS already active (#5.5.1)"}
	replyTLSSyntax   = Reply{501, "5.5.4", "syntax error (#5.5.4)"}                        // RFC 3207 4: no parameters
	replyTLSRequired = Reply{530, "5.7.0", "Must issue a STARTTLS command first (#5.7.0)"} // RFC 3207 4

	// SMTP AUTH (RFC 4954 6), texts of the SMTP AUTH patch qmail-smtpd
	// carries in Spamcontrol and s/qmail.
	replyAuthUnavailable = Reply{503, "5.5.1", "auth not available (#5.5.1)"}
	replyAuthDone        = Reply{503, "5.5.1", "you are already authenticated (#5.5.1)"}
	replyAuthInMail      = Reply{503, "5.5.1", "no auth during mail transaction (#5.5.1)"}
	replyAuthType        = Reply{504, "5.5.4", "unrecognized authentication type (#5.5.4)"}
	replyAuthCannotCheck = Reply{504, "5.5.4", "that mechanism is not available for this user, try another (#5.5.4)"}
	replyAuthCancelled   = Reply{501, "5.0.0", "auth exchange cancelled (#5.0.0)"} // RFC 4954 4: "*"
	replyAuthMalformed   = Reply{501, "5.5.2", "malformed auth input (#5.5.2)"}    // RFC 4954 4: not base64
	replyAuthEncryption  = Reply{538, "5.7.11", "encryption required for requested authentication mechanism (#5.7.11)"}
	replyAuthTooMany     = Reply{421, "4.7.0", "too many authentication failures (#4.7.0)"}
	// The login throttle refuses the client (package throttle).
	replyAuthThrottled = Reply{454, "4.7.0", "too many failed logins, try again later (#4.7.0)"}
	// The patch's texts end in codes of their own; RFC 4954 6 gives the
	// enhanced codes, and both are kept: clients read the one, log
	// parsers the other.
	replyAuthOK       = Reply{235, "2.7.0", "ok, go ahead (#2.0.0)"}                     // patch's (#2.0.0), RFC's 2.7.0
	replyAuthFailed   = Reply{535, "5.7.8", "authentication failed (#5.7.1)"}            // patch's (#5.7.1), RFC's 5.7.8
	replyAuthRequired = Reply{530, "5.7.0", "authentication required (#5.7.1)"}          // patch's (#5.7.1), RFC's 5.7.0
	replyAuthTemp     = Reply{454, "4.7.0", "temporary authentication failure (#4.7.0)"} // said (#4.3.0) before
)

// replyGreeting is the greeting, smtp_greet("220 ") and " ESMTP".
func replyGreeting(greeting string) Reply { return Reply{220, "", greeting + " ESMTP"} }

// replyHelo is HELO's answer, smtp_helo: the greeting alone.
func replyHelo(greeting string) Reply { return Reply{250, "", greeting} }

// replyQuit is smtp_quit's "221 greeting".
func replyQuit(greeting string) Reply { return Reply{221, "2.0.0", greeting} }

// replyAuthChallenge is a 334 prompt of RFC 4954 4, base64 already.
func replyAuthChallenge(b64 string) Reply { return Reply{334, "", b64} }

// replyUnsupportedParam refuses a MAIL or RCPT parameter not understood
// (RFC 5321 4.1.1.11: 555).
func replyUnsupportedParam(key string) Reply {
	return Reply{555, "5.5.4", "unsupported parameter " + safeLog(key) + " (#5.5.4)"}
}

// replyChunkOK answers a BDAT chunk other than the LAST.
func replyChunkOK(n int64) Reply {
	return Reply{250, "2.0.0", "ok " + strconv.FormatInt(n, 10) + " octets"}
}

// replyQueued is acceptmessage's "250 ok WHEN qp PID".
func replyQueued(when int64, qp int) Reply {
	return Reply{250, "2.0.0", "ok " + strconv.FormatInt(when, 10) + " qp " + strconv.Itoa(qp)}
}

// replyQueueRefused is qmail_close's text after "554 " (a 'D' result)
// or "451 " (a 'Z' one), as qmail-smtpd's smtp_data writes it; the
// enhanced code is the one the text ends in, def when it has none.
func replyQueueRefused(code int, text, def string) Reply {
	return Reply{code, enhancedOf(text, def), text}
}

// The SPF refusals of qmail-spf's levels (see checkSPF): the texts end
// in qmail-spf's (#5.7.1), the enhanced code is RFC 7372's 5.7.23 ("SPF
// validation failed").
func replySPFFail(domain, ip, explanation string) Reply {
	if explanation != "" {
		return Reply{550, "5.7.23", "SPF: " + safeLog(explanation) + " (#5.7.1)"}
	}
	return Reply{550, "5.7.23", "SPF: " + domain + " does not allow " + ip + " to send its mail (#5.7.1)"}
}

func replySPFSoftFail(domain, ip string) Reply {
	return Reply{550, "5.7.23", "SPF: " + domain + " does not designate " + ip + " (softfail) (#5.7.1)"}
}

func replySPFNeutral(domain, ip string) Reply {
	return Reply{550, "5.7.23", "SPF: " + domain + " neither permits nor denies " + ip + " (#5.7.1)"}
}

func replySPFNotPass(result string) Reply {
	return Reply{550, "5.7.23", "SPF: sender not permitted (" + result + ") (#5.7.1)"}
}

// enhancedOf is the RFC 3463 code qmail's text carries at its end as
// "(#x.y.z)", so that both codes of a reply agree; def when it has none.
func enhancedOf(text, def string) string {
	i := strings.LastIndex(text, "(#")
	if i < 0 || !strings.HasSuffix(text, ")") {
		return def
	}
	code := text[i+2 : len(text)-1]
	parts := strings.Split(code, ".")
	if len(parts) != 3 || (parts[0] != "4" && parts[0] != "5") || (def[0] != parts[0][0]) {
		return def
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(p) > 3 {
			return def
		}
	}
	return code
}

// A verdict is what a check decides about a command: go on (the zero
// verdict), or the reply to send, whether it counts toward MaxErrors,
// and the transaction record to log. Session.answer is the one place
// that acts on it.
type verdict struct {
	reply  Reply
	counts bool
	log    record // result "": nothing logged
}

// record is the variable part of one transaction log line (logf).
type record struct{ result, stage, reason, rcpt, extra string }

// refused says whether the verdict answers the command instead of
// letting it go on.
func (v verdict) refused() bool { return v.reply.Code != 0 }

// reject refuses with r, counts it as the client's error and logs
// Reject::stage::reason.
func reject(r Reply, stage, reason string) verdict {
	return verdict{reply: r, counts: true, log: record{result: "Reject", stage: stage, reason: reason}}
}

// deferral answers r, a temporary refusal that is not the client's
// error, and logs Defer::stage::reason.
func deferral(r Reply, stage, reason string) verdict {
	return verdict{reply: r, log: record{result: "Defer", stage: stage, reason: reason}}
}

// accept answers r and logs Accept::stage::reason.
func accept(r Reply, stage, reason string) verdict {
	return verdict{reply: r, log: record{result: "Accept", stage: stage, reason: reason}}
}

// mistake is a protocol error of the client: counted, not logged.
func mistake(r Reply) verdict { return verdict{reply: r, counts: true} }

// answered is a reply that neither counts nor is logged.
func answered(r Reply) verdict { return verdict{reply: r} }

// rcpt names the recipient in the log line.
func (v verdict) rcpt(addr string) verdict { v.log.rcpt = addr; return v }

// extra adds fields after the log line's T: field.
func (v verdict) extra(x string) verdict { v.log.extra = x; return v }

// uncounted keeps the reply out of MaxErrors.
func (v verdict) uncounted() verdict { v.counts = false; return v }

// answer sends v's reply, counts it toward MaxErrors when it is the
// client's error, and logs its record.
func (s *Session) answer(v verdict) {
	if v.counts {
		s.errors++
	}
	s.reply(v.reply)
	if v.log.result != "" {
		s.logf(v.log)
	}
}
