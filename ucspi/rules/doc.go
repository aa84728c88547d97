// Package rules implements ucspi-tcp's access rules: the text format that
// tcprules(1) compiles, the cdb it writes, and the lookup tcpserver(1) and
// sslserver(1) do for each connection, as ucspi-tcp 0.88 (tcprules.1,
// tcpserver.1, rules.c) with Felix von Leitner's IPv6 patch (Debian's
// ucspi-tcp-ipv6) define them.
//
// A rule is "address:allow" or "address:deny" followed by ",VAR=<q>value<q>"
// items, where <q> is any one character that also ends the value. The cdb
// maps the address (or each address of an a.b.c.X-Y range) to a value of
// NUL-terminated records: "D" for deny and "+VAR=value" per variable; allow
// with no variables is the empty value. Files built from rules 0.88 can
// express are byte-identical to Debian's tcprules output.
//
// Our one extension is CIDR rules (a.b.c.d/n, IPv6 addr/n). Their keys start
// with a newline, which no 0.88 key can contain, so they never collide with
// classic rules; see cidr.go and tcprules(1).
package rules
