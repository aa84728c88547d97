package listdir

import (
	"bytes"
	"path/filepath"
	"strings"
)

// DefaultTextDir is where ezmlm-idx installs its shared texts; a list
// made by ezmlm-idx 7's ezmlm-make keeps no texts of its own and finds
// them there (or in the directory its ezmlmrc file names).
const DefaultTextDir = "/etc/ezmlm/default"

// Text returns the text file text/name of the list, looked for as
// ezmlm-idx 7 looks (ezmlm(5), TEXT): in the list's text/ directory,
// then under the directory named by the list's ezmlmrc file, then under
// /etc/ezmlm/default; when none has it, quail's own text of that name
// (the texts quail's ezmlm-make writes into text/). ok is false for a
// name no one has (text/trailer, text/faq of a list without them).
func (l *List) Text(name string) (text []byte, ok bool, err error) {
	rel := filepath.Join("text", name)
	dirs := []string{l.Dir}
	if alt, found, err := l.Line("ezmlmrc"); err != nil {
		return nil, false, err
	} else if found && alt != "" {
		dirs = append(dirs, alt)
	}
	dirs = append(dirs, DefaultTextDir)
	for _, d := range dirs {
		b, err := readLimited(filepath.Join(d, rel))
		if err == nil {
			return b, true, nil
		}
		if !IsNotExist(err) {
			return nil, false, err
		}
	}
	if t, found := DefaultTexts[name]; found {
		return []byte(t), true, nil
	}
	return nil, false, nil
}

// ConfFile reads a setting file whole from the list directory, or,
// as ezmlm-idx's getconf, from the directory its ezmlmrc file names or
// /etc/ezmlm/default; ok is false when none has it.
func (l *List) ConfFile(name string) ([]byte, bool, error) {
	dirs := []string{l.Dir}
	if alt, found, err := l.Line("ezmlmrc"); err != nil {
		return nil, false, err
	} else if found && alt != "" {
		dirs = append(dirs, alt)
	}
	for _, d := range append(dirs, DefaultTextDir) {
		b, err := readLimited(filepath.Join(d, name))
		if err == nil {
			return b, true, nil
		}
		if !IsNotExist(err) {
			return nil, false, err
		}
	}
	return nil, false, nil
}

// Flags is the list's option letters, as ezmlm-make set them: a lower
// case letter is a switch that is on. They come from dir/flags
// (ezmlm-idx 5 and later), else from the F: line of dir/config (older
// ezmlm-idx), else from the files the switches make (ezmlm 0.53).
func (l *List) Flags() (string, error) {
	if v, ok, err := l.Line("flags"); err != nil {
		return "", err
	} else if ok {
		return strings.TrimPrefix(v, "-"), nil
	}
	lines, err := l.Lines("config")
	if err != nil {
		return "", err
	}
	for _, line := range lines {
		if v, ok := strings.CutPrefix(line, "F:"); ok {
			return strings.TrimPrefix(v, "-"), nil
		}
	}
	var b strings.Builder
	for _, f := range []struct {
		c    byte
		file string
	}{{'a', "archived"}, {'d', "digest"}, {'f', "prefix"}, {'i', "threaded"}, {'m', "modpost"},
		{'p', "public"}, {'r', "remote"}, {'s', "modsub"}, {'t', "text/trailer"}, {'u', "subpostonly"}} {
		if l.Exists(f.file) {
			b.WriteByte(f.c)
		}
	}
	return b.String(), nil
}

// FlagSet says whether a <=X=> letter holds for flags: a lower case
// letter when the switch is on, a capital when it is off.
func FlagSet(flags string, c byte) bool {
	switch {
	case c >= 'a' && c <= 'z':
		return strings.IndexByte(flags, c) >= 0
	case c >= 'A' && c <= 'Z':
		return strings.IndexByte(flags, c+'a'-'A') < 0
	}
	return true
}

// Subst holds what the tags of a text stand for (ezmlm(5),
// SUBSTITUTIONS). An empty value leaves its tags as "?????", as ezmlm's
// copy does before the value is set.
type Subst struct {
	Local     string // <#l#>: outlocal, with "-digest" for the digest list
	MainLocal string // <#L#>: outlocal
	Host      string // <#h#>, <#H#>
	Target    string // <#A#>: the (un)subscription target, or the accept address
	Verp      string // <#t#>: Target with its last '@' as '='
	Confirm   string // <#R#>: the confirm (or reject) address
	Cookie    string // <#C#>
	When      string // <#T#>
	Action    string // <#X#>
	Num       string // <#n#>
	Dir       string // <#d#>
	Params    [10]string
	Flags     string // the list's switches, for <=X=> sections
}

const unset = "?????"

func or(v string) string {
	if v == "" {
		return unset
	}
	return v
}

// Render copies text with the tags replaced, as ezmlm-idx's copy():
// lines starting with '#' are comments, "!A" and "!R" lines become the
// target and the confirm address indented by three spaces, a line
// "<=letters=>" starts a section printed only when every letter holds
// (FlagSet; "<==>" ends it), an unknown tag is removed, and a last line
// without its newline gets one. header (ezmlm's 'H' mode, for headeradd)
// drops empty lines, treats "<=...=>" as text and refuses <#A#> and
// <#t#>, which a sender could fill with header lines; ok is false then.
func (s *Subst) Render(text []byte, header bool) (out []byte, ok bool) {
	var b bytes.Buffer
	show := true
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i+1], text[i+1:]
		} else {
			text = nil
		}
		if line[0] == '#' {
			continue
		}
		if header && len(line) == 1 && line[0] == '\n' {
			continue
		}
		if len(line) >= 2 && line[0] == '!' && (line[1] == 'R' || line[1] == 'A') {
			v := or(s.Confirm)
			if line[1] == 'A' {
				v = or(s.Target)
			}
			b.WriteString("   " + v + "\n")
			continue
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		if !header && len(body) >= 4 && bytes.HasPrefix(body, []byte("<=")) && bytes.HasSuffix(body, []byte("=>")) {
			show = true
			for _, c := range body[2 : len(body)-2] {
				show = show && FlagSet(s.Flags, c)
			}
			continue
		}
		if !show {
			continue
		}
		x, good := s.xlate(body, header)
		if !good {
			return nil, false
		}
		b.Write(x)
		b.WriteByte('\n')
	}
	return b.Bytes(), true
}

// Line is Render of one line of text, without its newline.
func (s *Subst) Line(text string) string {
	x, _ := s.xlate([]byte(text), false)
	return string(x)
}

func (s *Subst) xlate(line []byte, header bool) ([]byte, bool) {
	var b bytes.Buffer
	for {
		i := bytes.Index(line, []byte("<#"))
		if i < 0 || i+4 >= len(line) {
			b.Write(line)
			return b.Bytes(), true
		}
		if line[i+3] != '#' || line[i+4] != '>' {
			b.Write(line[:i+1])
			line = line[i+1:]
			continue
		}
		b.Write(line[:i])
		switch c := line[i+2]; c {
		case 'A':
			if header {
				return nil, false
			}
			b.WriteString(or(s.Target))
		case 'a':
			t := or(s.Target)
			if j := strings.IndexByte(t, '@'); j >= 0 {
				t = t[:j]
			}
			b.WriteString(t)
		case 't':
			if header {
				return nil, false
			}
			b.WriteString(or(s.Verp))
		case 'R':
			b.WriteString(or(s.Confirm))
		case 'r':
			r := or(s.Confirm)
			if j := strings.IndexByte(r, '@'); j >= 0 {
				r = r[:j]
			}
			b.WriteString(r)
		case 'c':
			r := or(s.Confirm)
			if j := strings.IndexByte(r, '@'); j >= 0 {
				r = r[:j]
			}
			if p := len(s.Local) + 1; s.Confirm != "" && p <= len(r) {
				r = r[p:]
			}
			b.WriteString(r)
		case 'C':
			b.WriteString(or(s.Cookie))
		case 'T':
			b.WriteString(or(s.When))
		case 'X':
			b.WriteString(or(s.Action))
		case 'L':
			b.WriteString(s.MainLocal)
		case 'l':
			b.WriteString(s.Local)
		case 'h', 'H':
			b.WriteString(s.Host)
		case 'n':
			b.WriteString(or(s.Num))
		case 'd':
			b.WriteString(s.Dir)
		default:
			if c >= '0' && c <= '9' {
				b.WriteString(s.Params[c-'0'])
			}
		}
		line = line[i+5:]
	}
}
