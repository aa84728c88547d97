package listdir

import "testing"

// TestRender pins ezmlm-idx's copy(): comments, !A and !R lines, the
// <=flags=> sections, the tags, an unknown tag removed, a last line
// given its newline, and the header mode's refusal of <#A#>.
func TestRender(t *testing.T) {
	s := &Subst{Local: "list-digest", MainLocal: "list", Host: "example.org", Target: "box@example.net",
		Verp: "box=example.net", Confirm: "list-digest-sc.1.abcdefghijklmnopabcd-box=example.net@example.org",
		Num: "7", Flags: "adp"}
	in := "# a comment\n" +
		"to <#l#>@<#h#> (<#L#>@<#H#>), message <#n#>\n" +
		"!A\n" +
		"!R\n" +
		"<#a#> <#t#> <#r#> <#c#> <#Z#>end\n" +
		"<=d=>\n" +
		"digest\n" +
		"<=dM=>\n" +
		"digest and not moderated\n" +
		"<=m=>\n" +
		"moderated\n" +
		"<==>\n" +
		"last line"
	want := "to list-digest@example.org (list@example.org), message 7\n" +
		"   box@example.net\n" +
		"   list-digest-sc.1.abcdefghijklmnopabcd-box=example.net@example.org\n" +
		"box box=example.net list-digest-sc.1.abcdefghijklmnopabcd-box=example.net sc.1.abcdefghijklmnopabcd-box=example.net end\n" +
		"digest\n" +
		"digest and not moderated\n" +
		"last line\n"
	out, ok := s.Render([]byte(in), false)
	if !ok || string(out) != want {
		t.Errorf("Render:\n%s\nwant:\n%s", out, want)
	}
	if _, ok := s.Render([]byte("X-To: <#A#>\n"), true); ok {
		t.Error("header mode took <#A#>")
	}
	out, ok = s.Render([]byte("List-Help: <mailto:<#l#>-help@<#h#>>\n\nPrecedence: bulk\n"), true)
	if !ok || string(out) != "List-Help: <mailto:list-digest-help@example.org>\nPrecedence: bulk\n" {
		t.Errorf("header mode: %q", out)
	}
	if got := (&Subst{}).Line("<#A#> <#R#> <#n#>"); got != "????? ????? ?????" {
		t.Errorf("unset tags: %q", got)
	}
}

// TestIndexEntry holds IndexEntry to lines ezmlm-idx 7.2.2 wrote (the
// test list of ruby-ezmlm, archive/0/index line 51 for archive/0/51, and
// archive/1/index's first entry for archive/1/00).
func TestIndexEntry(t *testing.T) {
	for _, c := range []struct {
		n                         uint64
		subject, date, from, want string
	}{
		{51, " Re: Navigating JBOD with some application?\n", "7 May 2017 21:55:22 -0000", "Meagan Mraz <keanu@example.org>",
			"51: aclbafoofgohkpnfldnd Re: Navigating JBOD with some application?\n\t7 May 2017 21:55:22 -0000;dgopemcjfcgcokgelccm Meagan Mraz\n"},
		{1, " Trying to compress program on the sensor?\n", "7 May 2017 21:55:05 -0000", "Theresia Lang <ivah_ortiz@example.net>",
			"1: dipjdfoipmjmlcnacell Trying to compress program on the sensor?\n\t7 May 2017 21:55:05 -0000;odhojfifmnbblilkmbfh Theresia Lang\n"},
	} {
		if got := IndexEntry(c.n, c.subject, "", c.date, c.from); got != c.want {
			t.Errorf("IndexEntry(%d):\n%q\nwant\n%q", c.n, got, c.want)
		}
	}
}

func TestTrimSubject(t *testing.T) {
	for _, c := range []struct {
		why, in, prefix, want string
		reply, prefixed       bool
	}{
		{"plain", "Hello", "", "Hello", false, false},
		{"Re:", "Re: Hello", "", "Hello", true, false},
		{"several markers", "Re: AW: Re[2]: Hello", "", "Hello", true, false},
		{"a long word with a digit before the colon", "Antwort2: x", "", "x", true, false},
		{"a long word is no marker", "Question: x", "", "Question: x", false, false},
		{"two letters are no marker", "X: y", "", "X: y", false, false},
		{"-Reply at the end, and the blanks before it", "Hello -Reply", "", "Hello", true, false},
		{"the prefix", "[list] Re: Hello", "[list]", "Hello", true, true},
		{"a numbered prefix", "Re: [list 12] Hello", "[list #]", "Hello", true, true},
		{"trailing blanks", "Hello \t\n", "", "Hello", false, false},
	} {
		out, reply, prefixed := TrimSubject(c.in, c.prefix)
		if out != c.want || reply != c.reply || prefixed != c.prefixed {
			t.Errorf("%s: TrimSubject(%q, %q) = %q, %v, %v; want %q, %v, %v", c.why, c.in, c.prefix, out, reply, prefixed, c.want, c.reply, c.prefixed)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add([]byte("<#l#> <#A#>\n!R\n<=d=>\nx\n<==>\n"), false)
	f.Add([]byte("<#"), true)
	f.Add([]byte("<=>\n#\n\n"), false)
	f.Fuzz(func(t *testing.T, in []byte, header bool) {
		s := &Subst{Local: "l", MainLocal: "l", Host: "h", Target: "a@b", Confirm: "c@h"}
		out, ok := s.Render(in, header)
		if ok && len(in) > 0 && len(out) > 0 && out[len(out)-1] != '\n' {
			t.Fatalf("Render(%q) = %q: no final newline", in, out)
		}
	})
}

func FuzzTrimSubject(f *testing.F) {
	f.Add("Re: [list 12] Hello -Reply", "[list #]")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, s, prefix string) {
		out, _, _ := TrimSubject(s, prefix)
		if len(out) > len(s) {
			t.Fatalf("TrimSubject(%q, %q) = %q", s, prefix, out)
		}
	})
}
