// Package fastforward is fastforward 0.51 (D. J. Bernstein's /etc/aliases
// for qmail): each program a function named for it, all reading and
// writing the original's formats, so that Debian's fastforward and
// quail's read each other's files.
//
//   - NewAliases (newaliases(1)): /etc/aliases, sendmail's syntax
//     (continuation lines, # comments, RFC 822 addresses with comments
//     and <>, "|program", :include:file, owner-list), to /etc/aliases.cdb;
//   - SetForward (setforward(1)): the same database from fastforward's
//     own instruction format;
//   - PrintForward (printforward(1)): a database back to that format;
//   - SetMaillist (setmaillist(1)), PrintMaillist (printmaillist(1)),
//     NewInclude (newinclude(1)): binary mailing lists (list.bin) from
//     lines, back to lines, and from an :include: file;
//   - Fastforward (fastforward(1)): delivery from .qmail-default by the
//     database, or its description with -n.
//
// The database is a cdb. Key ":target" (lowercased: user@host.dom,
// @host.dom or user@) holds the target's commands, each ended by NUL:
// "&address" (a recipient), "|program" or "!program" (run, the second
// through preline), "./file.bin" or "/file.bin" (a binary mailing list
// read at delivery). Key "?target" holds an owner address, without NUL,
// the envelope sender for mail sent through the target. A binary mailing
// list is the same commands, NUL-ended, less programs.
//
// Exit codes are the originals': 0 done, 100 permanent (usage, syntax,
// an unknown recipient), 111 temporary; fastforward -p exits 99 after
// forwarding so that qmail-local skips the rest of .qmail-default.
package fastforward

import "fmt"

// Failure is a program's fatal error: its exit code and the text that
// follows "name: fatal: ", as the original words it (a parse error
// quotes its line, newlines included).
type Failure struct {
	Code int
	Text string
}

func (f *Failure) Error() string { return f.Text }

func fail(code int, format string, a ...any) *Failure {
	return &Failure{Code: code, Text: fmt.Sprintf(format, a...)}
}
