package mklist

import (
	"sort"
	"strings"

	"github.com/quail-mta/quail/mta/ezmlm/listdir"
)

// headerRemove is ezmlmrc's headerremove: fields taken off every post.
const headerRemove = "return-path\nreturn-receipt-to\ncontent-length\nprecedence\nx-confirm-reading-to\nx-pmrqc\nlist-subscribe\nlist-unsubscribe\nlist-help\n"

// layout writes what ezmlm-idx 7's default ezmlmrc writes for the
// switches of o (its tags quoted in the comments).
func (m *maker) layout() {
	o := m.o
	on := o.on
	d := "'" + o.Dir + "'"
	m.file("flags", o.FlagString()+"\n")
	m.file("dot", o.Dot+"\n")
	m.file("digestcode", o.Code+"\n")
	if o.Params[0] != "" {
		m.file("sublist", o.Params[0]+"\n")
	} else if o.Edit {
		m.remove("sublist")
	}
	if o.Params[3] != "" {
		m.file("fromheader", o.Params[3]+"\n")
	}
	if o.Params[4] != "" {
		m.file("tstdigopts", o.Params[4]+"\n")
	}
	for _, dir := range []string{"archive", "subscribers", "bounce", "text", "allow", "allow/subscribers",
		"mod", "mod/subscribers", "mod/pending", "mod/accepted", "mod/rejected", "mod/unconfirmed"} {
		m.dir(dir)
	}
	if on('d') {
		for _, dir := range []string{"digest", "digest/subscribers", "digest/bounce"} {
			m.dir(dir)
		}
	}
	if on('k') {
		m.dir("deny")
		m.dir("deny/subscribers")
	}
	// </:/editor/> and the other links: dot-ext -> dir/target.
	m.link("", "editor")
	m.link("-owner", "owner")
	if on('d') {
		m.link("-digest-owner", "owner")
		m.link("-digest-return-default", "digest/bouncer")
	}
	m.link("-return-default", "bouncer")
	m.link("-default", "manager")
	if on('m') {
		m.link("-accept-default", "moderator")
		m.link("-reject-default", "moderator")
	}
	// Edit mode starts from a clean state (</-modpost#eM/> ...).
	if o.Edit {
		for _, f := range []struct {
			c    byte
			name string
		}{{'m', "modpost"}, {'s', "modsub"}, {'r', "remote"}, {'p', "public"}, {'a', "indexed"},
			{'a', "archived"}, {'f', "prefix"}, {'t', "text/trailer"}, {'x', "mimeremove"}, {'m', "moderator"},
			{'u', "subpostonly"}, {'d', "digested"}} {
			if !on(f.c) {
				m.remove(f.name)
			}
		}
	}
	if on('s') {
		m.file("modsub", line(o.Params[8]))
	}
	if on('r') {
		m.file("remote", line(o.Params[9]))
	}
	if on('m') {
		m.file("modpost", line(o.Params[7]))
	}
	warn := m.prog("ezmlm-warn", d+" || exit 0")
	digWarn := m.prog("ezmlm-warn", "-d "+d+" || exit 0")

	// owner
	var owner strings.Builder
	if o.Params[5] != "" {
		owner.WriteString("&" + o.Params[5] + "\n")
	} else {
		owner.WriteString(o.Dir + "/Mailbox\n")
	}
	if !on('w') {
		owner.WriteString(warn)
	}
	m.file("owner", owner.String())

	// manager: requests to list-COMMAND@host.
	var mgr strings.Builder
	mgr.WriteString(m.prog("ezmlm-weed", ""))
	if on('a') {
		switch {
		case on('b'):
			mgr.WriteString(m.prog("ezmlm-get", "-P "+d+code(o.Code)))
		case on('g'):
			mgr.WriteString(m.prog("ezmlm-get", "-s "+d+code(o.Code)))
		default:
			mgr.WriteString(m.prog("ezmlm-get", d+code(o.Code)))
		}
	}
	opts := ""
	if on('l') {
		opts += "l"
	}
	if on('n') {
		opts += "e"
	}
	if on('j') {
		opts += "U"
	}
	if on('h') {
		opts += "S"
	}
	if opts != "" {
		opts = "-" + opts + " "
	}
	mgr.WriteString(m.prog("ezmlm-manage", opts+d))
	if !on('w') {
		mgr.WriteString(warn)
		if on('d') {
			mgr.WriteString(digWarn)
		}
	}
	m.file("manager", mgr.String())

	// editor: posts to list@host.
	var ed strings.Builder
	if o.Params[0] == "" {
		ed.WriteString(m.prog("ezmlm-reject", d))
		if on('k') {
			ed.WriteString(m.prog("ezmlm-issubn", "-n "+d+" deny || { echo \"Sorry, I've been told to reject your posts. (#5.7.2)\"; exit 100 ; }"))
		}
	}
	if on('u') {
		ed.WriteString(m.prog("ezmlm-issubn", d+" . digest allow mod || { echo \"Sorry, only subscribers may post. (#5.7.2)\"; exit 100 ; }"))
	}
	if on('m') {
		store := ""
		if on('o') {
			store = "-P "
		}
		ed.WriteString(m.prog("ezmlm-store", store+d))
		ed.WriteString(m.prog("ezmlm-clean", d+" || exit 0"))
	} else {
		ed.WriteString(m.prog("ezmlm-send", d))
	}
	if !on('w') {
		ed.WriteString(warn)
		if on('d') {
			ed.WriteString(digWarn)
		}
	}
	if on('d') {
		tst := "-m30 -k64 -t48"
		if o.Params[4] != "" {
			tst = o.Params[4]
		}
		ed.WriteString(m.prog("ezmlm-tstdig", tst+" "+d+" || exit 99"))
		ed.WriteString(m.prog("ezmlm-get", d+" || exit 0"))
	}
	m.file("editor", ed.String())

	// bouncer, digest/bouncer: bounces to list-return-...@host.
	m.file("bouncer", m.prog("ezmlm-weed", "")+m.prog("ezmlm-return", "-D "+d))
	if on('d') {
		m.file("digest/bouncer", m.prog("ezmlm-weed", "")+m.prog("ezmlm-return", "-d "+d))
	}
	if on('m') {
		m.file("moderator", m.prog("ezmlm-weed", "")+m.prog("ezmlm-moderate", d)+m.prog("ezmlm-clean", d+" || exit 0"))
	}

	hr := headerRemove
	if o.Params[0] == "" {
		hr += "list-post\n"
	}
	if o.Params[3] != "" {
		hr += "from\n"
	}
	m.file("headerremove", hr)
	m.file("lock", "")
	m.file("lockbounce", "")
	if on('d') {
		m.file("digest/lockbounce", "")
		m.file("digest/lock", "")
		m.file("digested", "")
	}
	if on('p') {
		m.file("public", "")
	}
	if on('a') {
		m.file("archived", "")
		m.file("indexed", "")
	}
	if on('u') {
		m.file("subpostonly", "")
	}
	m.file("outhost", o.Host+"\n")
	m.file("outlocal", o.Local+"\n")
	// ezmlm 0.53's names of the same, and its Mailing-List text.
	m.file("inhost", o.Host+"\n")
	m.file("inlocal", o.Local+"\n")
	m.file("mailinglist", "contact "+o.Local+"-help@"+o.Host+"; run by ezmlm\n")
	var ha strings.Builder
	if o.Params[0] == "" {
		ha.WriteString("Precedence: bulk\nX-No-Archive: yes\nList-Post: <mailto:<#L#>@<#H#>>\n")
	}
	ha.WriteString("List-Help: <mailto:<#l#>-help@<#h#>>\nList-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\nList-Subscribe: <mailto:<#l#>-subscribe@<#h#>>\n")
	if o.Params[3] != "" {
		ha.WriteString("From: " + o.Params[3] + "\n")
	}
	m.file("headeradd", ha.String())
	if on('x') {
		m.file("msgsize", "30000:2\n")
		m.file("mimeremove", "application/excel\napplication/rtf\napplication/msword\napplication/ms-tnef\ntext/html\ntext/rtf\ntext/enriched\ntext/x-vcard\n")
	}
	if on('f') {
		m.file("prefix", "["+o.Local+"]\n")
	}
	names := make([]string, 0, len(listdir.DefaultTexts))
	for n := range listdir.DefaultTexts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if o.Edit && fileExists(m.path("text/"+n)) {
			continue // the owner's own words stay
		}
		m.file("text/"+n, listdir.DefaultTexts[n])
	}
}

func line(s string) string {
	if s == "" {
		return ""
	}
	return s + "\n"
}

func code(c string) string {
	if c == "" {
		return ""
	}
	return " " + c
}
