package showctl

// kind is how a control file is read and shown.
type kind int

const (
	number kind = iota // one decimal number
	line               // one line of text
	list               // a line per entry, '#' comments
	exists             // only its presence counts (contents not shown)
)

// entry describes one control file: its wording follows qmail-showctl's
// for qmail's own files, and the same style for what quail adds.
type entry struct {
	name   string
	kind   kind
	def    string // shown after "(Default.) "
	fromMe bool   // the default is control/me when that exists
	pre    string
	post   string
}

// controls is every control file qmail-control(5) and quail's programs
// know, in the order qmail-showctl prints them (alphabetical, except that
// the morercpthosts pair follows rcpthosts).
var controls = []entry{
	{name: "badhelo", kind: list, def: "Any HELO host name is allowed.", post: " not accepted in HELO."},
	{name: "badloadertypes", kind: list, def: "No executable types are refused.", pre: "Attachment loader type refused (with $BADLOADERTYPE): "},
	{name: "badmailfrom", kind: list, def: "Any MAIL FROM is allowed.", post: " not accepted in MAIL FROM."},
	{name: "badmailfromunknown", kind: list, def: "Any MAIL FROM is allowed from clients without a DNS name.", post: " not accepted in MAIL FROM from clients without a DNS name."},
	{name: "badmimetypes", kind: list, def: "No attachment contents are refused.", pre: "Base64 attachment start refused (with $BADMIMETYPE): "},
	{name: "badrcptto", kind: list, def: "Any RCPT TO is allowed.", post: " not accepted in RCPT TO."},
	{name: "bouncefrom", kind: line, def: "MAILER-DAEMON", pre: "Bounce user name is "},
	{name: "bouncehost", kind: line, def: "bouncehost", fromMe: true, pre: "Bounce host name is "},
	{name: "bouncemaxbytes", kind: number, def: "all", pre: "Bytes of the message copied into a bounce: "},
	{name: "concurrencylocal", kind: number, def: "10", pre: "Local concurrency is "},
	{name: "concurrencyremote", kind: number, def: "20", pre: "Remote concurrency is "},
	{name: "databytes", kind: number, def: "0", pre: "SMTP DATA limit is ", post: " bytes"},
	{name: "defaultdomain", kind: line, def: "defaultdomain", fromMe: true, pre: "Default domain name is "},
	{name: "defaulthost", kind: line, def: "defaulthost", fromMe: true, pre: "Default host name is "},
	{name: "doublebouncehost", kind: line, def: "doublebouncehost", fromMe: true, pre: "2B recipient host: "},
	{name: "doublebounceto", kind: line, def: "postmaster", pre: "2B recipient user: "},
	{name: "envnoathost", kind: line, def: "envnoathost", fromMe: true, pre: "Presumed domain name is "},
	{name: "helohost", kind: line, def: "helohost", fromMe: true, pre: "SMTP client HELO host name is "},
	{name: "idhost", kind: line, def: "idhost", fromMe: true, pre: "Message-ID host name is "},
	{name: "localiphost", kind: line, def: "localiphost", fromMe: true, pre: "Local IP address becomes "},
	{name: "locals", kind: list, def: "Messages for me are delivered locally.", pre: "Messages for ", post: " are delivered locally."},
	{name: "me", kind: line, def: "undefined! Uh-oh", pre: "My name is "},
	{name: "moreipme", kind: list, def: "No other addresses are mine.", pre: "Also my address: ", post: "."},
	{name: "mtastsca.pem", kind: exists, def: "MTA-STS trusts the system's roots.", pre: "MTA-STS trust anchors present."},
	{name: "mtastsport", kind: number, def: "443", pre: "MTA-STS policy host port is "},
	{name: "outgoingip", kind: line, def: "chosen by the system", pre: "SMTP client source address is "},
	{name: "percenthack", kind: list, def: "The percent hack is not allowed.", pre: "The percent hack is allowed for user%host@", post: "."},
	{name: "plusdomain", kind: line, def: "plusdomain", fromMe: true, pre: "Plus domain name is "},
	{name: "qmqpservers", kind: list, def: "No QMQP servers.", pre: "QMQP server: ", post: "."},
	{name: "qmtproutes", kind: list, def: "No artificial QMTP routes.", pre: "QMTP route: "},
	{name: "queuelifetime", kind: number, def: "604800", pre: "Message lifetime in the queue is ", post: " seconds"},
	{name: "rcpthosts"}, // with morercpthosts and morercpthosts.cdb: see relayControls
	{name: "recipients", kind: list, def: "Every local address is accepted by qmail-smtpd.", pre: "Recipient table: "},
	{name: "servercert.pem", kind: exists, def: "No server certificate; STARTTLS is not offered.", pre: "Server certificate present."},
	{name: "serverkey.pem", kind: exists, def: "No server key.", pre: "Server key present."},
	{name: "singleuser", kind: exists, def: "Daemons run as qmail's users.", pre: "Single-user instance: every daemon runs as the invoking user."},
	{name: "smtpgreeting", kind: line, def: "smtpgreeting", fromMe: true, pre: "SMTP greeting: 220 "},
	{name: "smtpport", kind: number, def: "25", pre: "SMTP client port is "},
	{name: "smtproutes", kind: list, def: "No artificial SMTP routes.", pre: "SMTP route: "},
	{name: "spfbehavior", kind: number, def: "0", pre: "SPF behavior is "},
	{name: "spfrules", kind: list, def: "No local SPF rules.", pre: "Local SPF rule: "},
	// Its lines hold the SRS secrets: only its presence is shown.
	{name: "srsdomains", kind: exists, def: "No SRS for forwards.", pre: "SRS domains present: forwards get SRS senders, SRS bounces are checked."},
	{name: "tarpitcount", kind: number, def: "0", pre: "Tarpitting starts after ", post: " recipients (0: never)"},
	{name: "tarpitdelay", kind: number, def: "5", pre: "Tarpit delay is ", post: " seconds"},
	{name: "throttleallow", kind: list, def: "The login throttle applies to every client address.", pre: "The login throttle leaves alone: "},
	{name: "timeoutconnect", kind: number, def: "60", pre: "SMTP client connection timeout is ", post: " seconds"},
	{name: "timeoutremote", kind: number, def: "1200", pre: "SMTP client data timeout is ", post: " seconds"},
	{name: "timeoutsmtpd", kind: number, def: "1200", pre: "SMTP server data timeout is ", post: " seconds"},
	{name: "tlsdestinations", kind: list, def: "STARTTLS is used when offered, without verification.", pre: "TLS destination: "},
	{name: "tlspolicy", kind: list, def: "Neither DANE nor MTA-STS is applied.", pre: "TLS policy: "},
	{name: "virtualdomains", kind: list, def: "No virtual domains.", pre: "Virtual domain: "},
}

// alsoKnown are the files programs read that have no paragraph in
// controls: morercpthosts and morercpthosts.cdb, which relayControls
// prints with rcpthosts, and the tables qmail-smtpd reads, compiled from
// the text files of controls by qmail-badmimetypes and
// qmail-badloadertypes.
var alsoKnown = []string{"morercpthosts", "morercpthosts.cdb", "badmimetypes.cdb", "badloadertypes.cdb"}

// known is every file name the listing covers; anything else in the
// directory is reported as unknown.
func known(name string) bool {
	for _, n := range alsoKnown {
		if n == name {
			return true
		}
	}
	for _, e := range controls {
		if e.name == name {
			return true
		}
	}
	return false
}
