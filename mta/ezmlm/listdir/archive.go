package listdir

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/mta/ezmlm/cookie"
)

// ArchiveName is where message n is archived: archive/N/NN with N =
// n/100 and NN = n%100 in two digits (ezmlm(5): message 15307 is
// archive/153/07).
func ArchiveName(n uint64) string {
	return filepath.Join("archive", strconv.FormatUint(n/100, 10), fmt.Sprintf("%02d", n%100))
}

// IndexName is the subject index of message n's archive directory.
func IndexName(n uint64) string {
	return filepath.Join("archive", strconv.FormatUint(n/100, 10), "index")
}

// Archived opens archived message n; ok is false for a message that
// is missing or not complete (ezmlm-send sets the owner's execute bit
// once the file is safely written; ezmlm(5)).
func (l *List) Archived(n uint64) (*os.File, bool, error) {
	f, err := os.Open(l.Path(ArchiveName(n)))
	if IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, djberr.Wrap("unable to open "+l.Path(ArchiveName(n)), err)
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&0o100 == 0 {
		f.Close()
		return nil, false, nil
	}
	return f, true, nil
}

// TrimSubject is ezmlm-idx's unfoldHDR with flagtrimsub, for subjects
// outside the iso-2022 charsets: trailing blanks and "-Reply" endings
// go, then the reply markers at the start ("Re: ", "AW: ", "Re[2]: ",
// at least 3 bytes with ':' last, longer ones only ending in a digit,
// ')' or ']' before the ':') and the list's prefix (with '#' standing
// for a message number). reply and prefixed say what was found.
// NUL and newline become spaces.
func TrimSubject(s, prefix string) (out string, reply, prefixed bool) {
	for {
		t := strings.TrimRight(s, " \t\r\n")
		if len(t) >= 6 && strings.EqualFold(t[len(t)-6:], "-Reply") {
			s = t[:len(t)-6]
			reply = true
			continue
		}
		s = t
		break
	}
	for again := true; again; {
		again = false
		s = strings.TrimLeft(s, " \t")
		if sp := strings.IndexByte(s, ' '); sp >= 3 && s[sp-1] == ':' {
			ok := true
			if sp > 5 {
				c := s[sp-2]
				ok = c == ')' || c == ']' || (c >= '0' && c <= '9')
			}
			if ok {
				s = s[sp+1:]
				reply, again = true, true
			}
		}
		if prefix != "" {
			if rest, found := cutPrefix(s, prefix); found {
				s = rest
				prefixed, again = true, true
			}
		}
	}
	s = strings.Map(func(r rune) rune {
		if r == 0 || r == '\n' {
			return ' '
		}
		return r
	}, s)
	return s, reply, prefixed
}

// cutPrefix matches the list's prefix at the start of s, spaces in
// either ignored and a '#' in the prefix matching a number.
func cutPrefix(s, prefix string) (string, bool) {
	i := 0
	for j := 0; j < len(prefix); j++ {
		c := prefix[j]
		if c == ' ' {
			continue
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if c == '#' {
			k := i
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			if i == k {
				return "", false
			}
			continue
		}
		if i >= len(s) || s[i] != c {
			return "", false
		}
		i++
	}
	return s[i:], true
}

// AuthorName is the display name of a From field for the index, as
// ezmlm-idx's author_name: what precedes an unquoted '<', else the
// quoted name, else the comment, else the whole field; blanks, '<'
// and '>' trimmed at both ends, '@' made '.'.
func AuthorName(from string) string {
	level := 0
	quoted := false
	qstart, qend, cstart, cend, lt := -1, -1, -1, -1, -1
	esc := false
loop:
	for i := 0; i < len(from); i++ {
		c := from[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			if quoted {
				qend = i
				break loop
			}
			quoted, qstart = true, i+1
		case quoted:
		case c == '(':
			if level == 0 {
				cstart = i + 1
			}
			level++
		case c == ')':
			level--
			if level == 0 {
				cend = i
			}
		case level == 0 && c == '<':
			lt = i
			break loop
		case level == 0 && c == ';':
			break loop
		}
	}
	name := from
	switch {
	case lt >= 0:
		name = from[:lt]
	case qstart >= 0 && qend >= qstart:
		name = from[qstart:qend]
	case cstart >= 0 && cend >= cstart:
		name = from[cstart:cend]
	}
	name = strings.Trim(name, " \t\n<>")
	if name == "" {
		name = strings.Trim(from, " \t\n<>")
	}
	return strings.ReplaceAll(name, "@", ".")
}

// IndexEntry is one message's two lines of the subject index:
//
//	N: SUBJECTHASH [Re: ]subject
//	\tdate;AUTHORHASH author
func IndexEntry(n uint64, subject, prefix, date, from string) string {
	s, reply, _ := TrimSubject(subject, prefix)
	var b strings.Builder
	fmt.Fprintf(&b, "%d: %s ", n, cookie.Hash([]byte(s)))
	if reply {
		b.WriteString("Re: ")
	}
	b.WriteString(s)
	b.WriteString("\n\t" + date + ";" + cookie.AuthorHash([]byte(from)) + " " + AuthorName(from) + "\n")
	return b.String()
}

// AddIndex puts entry (IndexEntry's lines for message n) into the
// index of n's archive directory, after the entries of the messages
// before n (a leftover entry for n or later, from a post whose queueing
// failed, is dropped), through indexn.
func (l *List) AddIndex(n uint64, entry string) error {
	name := l.Path(IndexName(n))
	old, err := readLimited(name)
	if err != nil && !IsNotExist(err) {
		return err
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize)
	keep := true
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t") {
			num, _ := strconv.ParseUint(digits(line), 10, 64)
			keep = num != 0 && num < n
		}
		if keep {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString(entry)
	return WriteAtomic(name, l.Path(filepath.Join(filepath.Dir(IndexName(n)), "indexn")), b.Bytes(), 0o744)
}

// Index reads the index entries of the archive directory holding
// message n: the raw lines, each with its newline.
func (l *List) Index(n uint64) ([]string, bool, error) {
	b, err := readLimited(l.Path(IndexName(n)))
	if IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	lines := strings.SplitAfter(string(b), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	return lines, true, nil
}
