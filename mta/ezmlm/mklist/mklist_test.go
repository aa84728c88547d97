package mklist

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func made(t *testing.T, flags string, params map[int]string) (*Options, string) {
	root := t.TempDir()
	o := &Options{Dir: filepath.Join(root, "sos"), Dot: filepath.Join(root, ".qmail-sos"), Local: "joe-sos", Host: "isp.net", Bin: "/usr/local/bin/ezmlm"}
	for _, c := range defaultFlags + flags {
		if c >= 'a' && c <= 'z' {
			o.Flags[c-'a'] = true
		} else {
			o.Flags[c-'A'] = false
		}
	}
	for i, v := range params {
		o.Params[i] = v
	}
	if err := Make(o); err != nil {
		t.Fatal(err)
	}
	return o, root
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDefaultList pins what ezmlm-idx 7's default ezmlmrc writes for a
// list made without switches (-ap): the files, the links, the delivery
// files' lines.
func TestDefaultList(t *testing.T) {
	o, root := made(t, "", nil)
	var names []string
	filepath.Walk(o.Dir, func(p string, fi os.FileInfo, err error) error {
		rel, _ := filepath.Rel(o.Dir, p)
		if rel != "." && !strings.HasPrefix(rel, "text/") {
			names = append(names, rel)
		}
		return nil
	})
	sort.Strings(names)
	want := "allow allow/subscribers archive archived bounce bouncer digestcode dot editor flags headeradd headerremove indexed inhost inlocal key lock lockbounce mailinglist manager mod mod/accepted mod/pending mod/rejected mod/subscribers mod/unconfirmed outhost outlocal owner public subscribers text"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files:\n%s\nwant:\n%s", got, want)
	}
	links := map[string]string{".qmail-sos": "editor", ".qmail-sos-owner": "owner", ".qmail-sos-return-default": "bouncer", ".qmail-sos-default": "manager"}
	ents, _ := os.ReadDir(root)
	n := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".qmail") {
			continue
		}
		n++
		target, err := os.Readlink(filepath.Join(root, e.Name()))
		if err != nil || target != filepath.Join(o.Dir, links[e.Name()]) {
			t.Errorf("%s -> %q (%v)", e.Name(), target, err)
		}
	}
	if n != len(links) {
		t.Errorf("%d links, want %d", n, len(links))
	}
	d := "'" + o.Dir + "'"
	for name, want := range map[string]string{
		"flags":        "-aBCDEFGHIJKLMNOpQRSTUVWXYZ\n",
		"outlocal":     "joe-sos\n",
		"outhost":      "isp.net\n",
		"inlocal":      "joe-sos\n",
		"dot":          o.Dot + "\n",
		"editor":       "|/usr/local/bin/ezmlm/ezmlm-reject " + d + "\n|/usr/local/bin/ezmlm/ezmlm-send " + d + "\n|/usr/local/bin/ezmlm/ezmlm-warn " + d + " || exit 0\n",
		"manager":      "|/usr/local/bin/ezmlm/ezmlm-weed\n|/usr/local/bin/ezmlm/ezmlm-get " + d + "\n|/usr/local/bin/ezmlm/ezmlm-manage " + d + "\n|/usr/local/bin/ezmlm/ezmlm-warn " + d + " || exit 0\n",
		"bouncer":      "|/usr/local/bin/ezmlm/ezmlm-weed\n|/usr/local/bin/ezmlm/ezmlm-return -D " + d + "\n",
		"owner":        o.Dir + "/Mailbox\n|/usr/local/bin/ezmlm/ezmlm-warn " + d + " || exit 0\n",
		"headeradd":    "Precedence: bulk\nX-No-Archive: yes\nList-Post: <mailto:<#L#>@<#H#>>\nList-Help: <mailto:<#l#>-help@<#h#>>\nList-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\nList-Subscribe: <mailto:<#l#>-subscribe@<#h#>>\n",
		"headerremove": "return-path\nreturn-receipt-to\ncontent-length\nprecedence\nx-confirm-reading-to\nx-pmrqc\nlist-subscribe\nlist-unsubscribe\nlist-help\nlist-post\n",
		"mailinglist":  "contact joe-sos-help@isp.net; run by ezmlm\n",
	} {
		if got := read(t, filepath.Join(o.Dir, name)); got != want {
			t.Errorf("%s:\n%q\nwant:\n%q", name, got, want)
		}
	}
	if st, _ := os.Stat(filepath.Join(o.Dir, "key")); st.Size() < 32 || st.Mode().Perm() != 0o600 {
		t.Errorf("key %v", st)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "text", "sub-confirm")); err != nil {
		t.Error("no texts written")
	}
}

// TestSwitches: the delivery files of a moderated digest list with
// subscriber-only posting, its links, and edit mode keeping the key and
// the subscribers.
func TestSwitches(t *testing.T) {
	o, root := made(t, "dmu", map[int]string{4: "-t0 -m2"})
	d := "'" + o.Dir + "'"
	wantEditor := "|/usr/local/bin/ezmlm/ezmlm-reject " + d + "\n" +
		"|/usr/local/bin/ezmlm/ezmlm-issubn " + d + " . digest allow mod || { echo \"Sorry, only subscribers may post. (#5.7.2)\"; exit 100 ; }\n" +
		"|/usr/local/bin/ezmlm/ezmlm-store " + d + "\n" +
		"|/usr/local/bin/ezmlm/ezmlm-clean " + d + " || exit 0\n" +
		"|/usr/local/bin/ezmlm/ezmlm-warn " + d + " || exit 0\n" +
		"|/usr/local/bin/ezmlm/ezmlm-warn -d " + d + " || exit 0\n" +
		"|/usr/local/bin/ezmlm/ezmlm-tstdig -t0 -m2 " + d + " || exit 99\n" +
		"|/usr/local/bin/ezmlm/ezmlm-get " + d + " || exit 0\n"
	if got := read(t, filepath.Join(o.Dir, "editor")); got != wantEditor {
		t.Errorf("editor:\n%s\nwant:\n%s", got, wantEditor)
	}
	for _, l := range []string{".qmail-sos-digest-owner", ".qmail-sos-digest-return-default", ".qmail-sos-accept-default", ".qmail-sos-reject-default"} {
		if _, err := os.Readlink(filepath.Join(root, l)); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	if got := read(t, filepath.Join(o.Dir, "flags")); got != "-aBCdEFGHIJKLmNOpQRSTuVWXYZ\n" {
		t.Errorf("flags %q", got)
	}
	key := read(t, filepath.Join(o.Dir, "key"))
	os.WriteFile(filepath.Join(o.Dir, "subscribers", "M"), []byte("Tx@y\x00"), 0o644)
	o.Edit = true
	o.Flags['m'-'a'] = false
	if err := Make(o); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(o.Dir, "key")) != key || read(t, filepath.Join(o.Dir, "subscribers", "M")) != "Tx@y\x00" {
		t.Error("edit mode changed the key or the subscribers")
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "modpost")); !os.IsNotExist(err) {
		t.Error("edit mode without -m kept modpost")
	}
	if !strings.Contains(read(t, filepath.Join(o.Dir, "editor")), "/ezmlm-send ") {
		t.Error("edit mode without -m: no ezmlm-send in the editor")
	}
}

func TestRefusals(t *testing.T) {
	root := t.TempDir()
	for _, c := range []struct {
		why string
		o   Options
	}{
		{"a relative dir", Options{Dir: "sos", Dot: "/x/.qmail-sos", Local: "a", Host: "b"}},
		{"a relative dot", Options{Dir: root + "/sos", Dot: ".qmail-sos", Local: "a", Host: "b"}},
		{"a quote in dir", Options{Dir: root + "/it's", Dot: root + "/.qmail-x", Local: "a", Host: "b"}},
	} {
		if err := Make(&c.o); err == nil {
			t.Errorf("%s: made", c.why)
		} else if _, ok := err.(*permanent); !ok {
			t.Errorf("%s: %v is not permanent", c.why, err)
		}
	}
	o := &Options{Dir: root + "/sos", Dot: root + "/.qmail-sos", Local: "a", Host: "b"}
	if err := Make(o); err != nil {
		t.Fatal(err)
	}
	if err := Make(o); err == nil || !strings.Contains(err.Error(), "unable to create "+o.Dir+": file already exists") {
		t.Errorf("made over an existing list: %v", err)
	}
}
