package stats

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"
)

// WritePrometheus writes the figures in the Prometheus text exposition
// format (version 0.0.4): every family with its HELP and TYPE lines,
// series in a fixed order, domains limited to the top n with the rest in
// domain="(other)". Counters count over the lines read, so a log rotated
// away shows as a counter reset, which rate() and increase() expect.
func (s *Stats) WritePrometheus(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	e := &expo{w: bw}
	s.promLines(e)
	s.promSend(e, n)
	s.promSMTPD(e)
	s.promServers(e)
	s.promDropped(e)
	return bw.Flush()
}

// expo writes families and samples.
type expo struct{ w *bufio.Writer }

func (e *expo) family(name, typ, help string) {
	e.w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// sample writes one series; labels come in name, value pairs.
func (e *expo) sample(name, value string, labels ...string) {
	e.w.WriteString(name)
	if len(labels) > 0 {
		e.w.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.w.WriteByte(',')
			}
			e.w.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
		}
		e.w.WriteByte('}')
	}
	e.w.WriteString(" " + value + "\n")
}

func (e *expo) count(name string, v uint64, labels ...string) {
	e.sample(name, strconv.FormatUint(v, 10), labels...)
}

// summary writes a histogram's median and 90th percentile, sum and count.
func (e *expo) summary(name string, h *histogram, labels ...string) {
	for _, q := range []struct {
		text string
		q    float64
	}{{"0.5", 0.5}, {"0.9", 0.9}} {
		v := "NaN"
		if h.count > 0 {
			v = seconds(h.quantile(q.q))
		}
		e.sample(name, v, append(slices.Clone(labels), "quantile", q.text)...)
	}
	e.sample(name+"_sum", seconds(h.sumMicro), labels...)
	e.count(name+"_count", h.count, labels...)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(v string) string {
	return labelEscaper.Replace(strings.ToValidUTF8(v, "?"))
}

var lineClassNames = [numLineClasses]string{
	LineSend: "send", LineSMTPD: "smtpd", LineServer: "tcpserver", LineRBL: "rblsmtpd",
	LineUnknown: "unknown", LineBadStamp: "bad_stamp", LineOutside: "outside_window", LineTooLong: "too_long",
}

var channels = [2]Channel{Local, Remote}

func (s *Stats) promLines(e *expo) {
	e.family("quail_stats_lines_total", "counter", "Log lines read, by what they were.")
	for c, name := range lineClassNames {
		e.count("quail_stats_lines_total", s.Lines[c], "class", name)
	}
	if s.HasTime {
		e.family("quail_stats_first_line_timestamp_seconds", "gauge", "Time stamp of the first line counted.")
		e.sample("quail_stats_first_line_timestamp_seconds", unixSeconds(s.First))
		e.family("quail_stats_last_line_timestamp_seconds", "gauge", "Time stamp of the last line counted.")
		e.sample("quail_stats_last_line_timestamp_seconds", unixSeconds(s.Last))
	}
}

func (s *Stats) promSend(e *expo, n int) {
	e.family("quail_send_messages_total", "counter", "Messages qmail-send took into the queue (new msg).")
	e.count("quail_send_messages_total", s.NewMsgs)
	e.family("quail_send_messages_completed_total", "counter", "Messages qmail-send finished with (end msg).")
	e.count("quail_send_messages_completed_total", s.EndMsgs)
	e.family("quail_send_message_bytes_total", "counter", "Bytes of the messages in info msg lines.")
	e.count("quail_send_message_bytes_total", s.Bytes)

	e.family("quail_send_deliveries_started_total", "counter", "Delivery attempts started, by channel.")
	for _, c := range channels {
		e.count("quail_send_deliveries_started_total", s.Started[c], "channel", c.String())
	}
	e.family("quail_send_deliveries_total", "counter", "Delivery attempts finished, by channel and result.")
	for _, c := range channels {
		for r, name := range resultNames {
			e.count("quail_send_deliveries_total", s.Results[c][r], "channel", c.String(), "result", name)
		}
	}
	e.family("quail_send_bounces_total", "counter", "Bounce messages queued, by kind: single, double, or unknown when the bounced message's sender was not seen.")
	// A bounce of a message from a real sender is a single bounce, of a
	// bounce a double one; a double bounce's bounce is never queued.
	e.count("quail_send_bounces_total", s.Bounces[senderNormal], "kind", "single")
	e.count("quail_send_bounces_total", s.Bounces[senderNull], "kind", "double")
	e.count("quail_send_bounces_total", s.Bounces[senderUnknown]+s.Bounces[senderDoubleBounce], "kind", "unknown")
	e.family("quail_send_triple_bounces_total", "counter", "Bounces discarded as triple bounces.")
	e.count("quail_send_triple_bounces_total", s.TripleBounces)

	e.family("quail_send_delivery_delay_seconds", "summary", "Time from new msg to each delivery result, by channel.")
	for _, c := range channels {
		e.summary("quail_send_delivery_delay_seconds", &s.Delay[c], "channel", c.String())
	}
	e.family("quail_send_delivery_attempt_seconds", "summary", "Time from starting delivery to its result, by channel.")
	for _, c := range channels {
		e.summary("quail_send_delivery_attempt_seconds", &s.XDelay[c], "channel", c.String())
	}
	e.family("quail_send_queue_seconds", "summary", "Time from new msg to end msg.")
	e.summary("quail_send_queue_seconds", &s.QTime)
	e.family("quail_send_results_without_new_msg_total", "counter", "Delivery results whose message's new msg was not in the logs read, left out of the delay.")
	e.count("quail_send_results_without_new_msg_total", s.NoBirth)

	if s.HasStatus {
		e.family("quail_send_concurrency_peak", "gauge", "Most deliveries in progress at once, by channel.")
		for _, c := range channels {
			e.count("quail_send_concurrency_peak", uint64(s.Peak[c]), "channel", c.String())
		}
		e.family("quail_send_concurrency_limit", "gauge", "Concurrency limit in the last status line, by channel.")
		for _, c := range channels {
			e.count("quail_send_concurrency_limit", uint64(s.Limit[c]), "channel", c.String())
		}
	}
	e.family("quail_send_alerts_total", "counter", "alert: lines of qmail-send.")
	e.count("quail_send_alerts_total", s.Alerts)
	e.family("quail_send_warnings_total", "counter", "warning: lines of qmail-send.")
	e.count("quail_send_warnings_total", s.Warnings)
	e.family("quail_send_exits_total", "counter", "Times qmail-send exited (status: exiting).")
	e.count("quail_send_exits_total", s.Exits)

	e.family("quail_send_recipient_domain_deliveries_total", "counter", "Delivery results by recipient domain (the top domains, the rest as (other)) and result.")
	rows, rest, restUsed := s.RcptDomains.top(n, weightDomain, sumDomain)
	for _, row := range rows {
		for r, name := range resultNames {
			e.count("quail_send_recipient_domain_deliveries_total", row.v.Results[r], "domain", row.name, "result", name)
		}
	}
	if restUsed {
		for r, name := range resultNames {
			e.count("quail_send_recipient_domain_deliveries_total", rest.Results[r], "domain", otherRows, "result", name)
		}
	}
	srows, srest, srestUsed := s.SenderDomains.top(n, weightSender, sumSender)
	e.family("quail_send_sender_domain_messages_total", "counter", "Messages by sender domain (the top domains, the rest as (other); (null) is the null sender).")
	for _, row := range srows {
		e.count("quail_send_sender_domain_messages_total", row.v.Messages, "domain", row.name)
	}
	if srestUsed {
		e.count("quail_send_sender_domain_messages_total", srest.Messages, "domain", otherRows)
	}
	e.family("quail_send_sender_domain_bytes_total", "counter", "Message bytes by sender domain, for the same domains.")
	for _, row := range srows {
		e.count("quail_send_sender_domain_bytes_total", row.v.Bytes, "domain", row.name)
	}
	if srestUsed {
		e.count("quail_send_sender_domain_bytes_total", srest.Bytes, "domain", otherRows)
	}
}

func (s *Stats) promSMTPD(e *expo) {
	e.family("quail_smtpd_transactions_total", "counter", "qmail-smtpd decisions by result, stage and reason.")
	rows, rest, restUsed := s.SMTP.top(-1, weightCount, sumCount)
	slices.SortFunc(rows, func(a, b namedRow[uint64]) int { return strings.Compare(a.name, b.name) })
	for _, r := range rows {
		f := strings.SplitN(r.name, "::", 3)
		e.count("quail_smtpd_transactions_total", *r.v, "result", f[0], "stage", f[1], "reason", f[2])
	}
	if restUsed {
		e.count("quail_smtpd_transactions_total", rest, "result", otherRows, "stage", otherRows, "reason", otherRows)
	}
	e.family("quail_smtpd_messages_queued_total", "counter", "Messages qmail-smtpd queued (Accept::DATA::Queued).")
	e.count("quail_smtpd_messages_queued_total", s.SMTPQueued)
	e.family("quail_smtpd_queued_bytes_total", "counter", "Bytes of the messages qmail-smtpd queued.")
	e.count("quail_smtpd_queued_bytes_total", s.SMTPQueuedBytes)
	e.family("quail_rblsmtpd_refused_total", "counter", "Sessions rblsmtpd refused, by kind of reply.")
	e.count("quail_rblsmtpd_refused_total", s.RBL[0], "kind", "temporary")
	e.count("quail_rblsmtpd_refused_total", s.RBL[1], "kind", "permanent")
}

func (s *Stats) promServers(e *expo) {
	keys := s.serverKeys()
	e.family("quail_tcpserver_connections_total", "counter", "Connections tcpserver or sslserver accepted and ran the program for (ok lines), by program and log.")
	for _, k := range keys {
		e.count("quail_tcpserver_connections_total", s.Servers[k].OK, "server", k.Server, "log", k.Log)
	}
	e.family("quail_tcpserver_denied_total", "counter", "Connections refused (deny lines), by program, log and reason: rules or the per-IP limit.")
	for _, k := range keys {
		srv := s.Servers[k]
		e.count("quail_tcpserver_denied_total", srv.Deny-srv.DenyIPLimit, "server", k.Server, "log", k.Log, "reason", "rules")
		e.count("quail_tcpserver_denied_total", srv.DenyIPLimit, "server", k.Server, "log", k.Log, "reason", "ip_limit")
	}
	e.family("quail_tcpserver_concurrency_peak", "gauge", "Most connections at once, from status lines, by program and log.")
	for _, k := range keys {
		if srv := s.Servers[k]; srv.HasStatus {
			e.count("quail_tcpserver_concurrency_peak", uint64(srv.Peak), "server", k.Server, "log", k.Log)
		}
	}
	e.family("quail_tcpserver_concurrency_limit", "gauge", "Connection limit in the last status line, by program and log.")
	for _, k := range keys {
		if srv := s.Servers[k]; srv.HasStatus {
			e.count("quail_tcpserver_concurrency_limit", uint64(srv.Limit), "server", k.Server, "log", k.Log)
		}
	}
}

func (s *Stats) promDropped(e *expo) {
	e.family("quail_stats_state_dropped_total", "counter", "Per-message or per-delivery state qmail-stats dropped or could not match, by why.")
	for _, d := range []struct {
		what string
		n    uint64
	}{
		{"message_evicted", s.MsgEvicted},
		{"delivery_evicted", s.DelEvicted},
		{"message_replaced", s.MsgReplaced},
		{"delivery_replaced", s.DelReplaced},
		{"delivery_lost_at_exit", s.DelLost},
		{"result_unmatched", s.UnmatchedResults},
	} {
		e.count("quail_stats_state_dropped_total", d.n, "what", d.what)
	}
	e.family("quail_stats_table_overflow_total", "counter", "Additions to a full table, counted as (other).")
	e.count("quail_stats_table_overflow_total", s.RcptDomains.overflow, "table", "recipient_domains")
	e.count("quail_stats_table_overflow_total", s.SenderDomains.overflow, "table", "sender_domains")
	e.count("quail_stats_table_overflow_total", s.SMTP.overflow, "table", "smtpd_reasons")
}
