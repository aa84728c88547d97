package users

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// testAccounts makes home directories owned by uid and a password file
// naming them. As root the homes are chowned to a made-up uid; otherwise
// the caller's own (non-zero) uid serves.
func testAccounts(t *testing.T) (f Finder, uid int, dir string) {
	t.Helper()
	dir = t.TempDir()
	uid = os.Getuid()
	if uid == 0 {
		uid = 4242
	}
	mk := func(name string, owner int) string {
		h := filepath.Join(dir, name)
		if err := os.Mkdir(h, 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != os.Getuid() {
			if err := os.Chown(h, owner, -1); err != nil {
				t.Fatal(err)
			}
		}
		return h
	}
	joe := mk("joe", uid)
	joeBar := mk("joe-bar", uid)
	alias := mk("alias", uid)
	notOwned := mk("stranger", os.Getuid())
	strangerUID := uid + 1
	pw := fmt.Sprintf("root:x:0:0:root:/:/bin/sh\n"+
		"joe:x:%[1]d:100:Joe:%[2]s:/bin/sh\n"+
		"joe-bar:x:%[1]d:101::%[3]s:/bin/sh\n"+
		"stranger:x:%[4]d:100::%[5]s:/bin/sh\n"+
		"nohome:x:%[1]d:100::%[6]s:/bin/sh\n"+
		"broken line\n"+
		"alias:x:%[1]d:102::%[7]s:/bin/sh\n",
		uid, joe, joeBar, strangerUID, notOwned, filepath.Join(dir, "missing"), alias)
	pwPath := filepath.Join(dir, "passwd")
	if err := os.WriteFile(pwPath, []byte(pw), 0o644); err != nil {
		t.Fatal(err)
	}
	return Finder{CDB: filepath.Join(dir, "cdb"), Passwd: pwPath, AliasUser: "alias"}, uid, dir
}

func TestGetPW(t *testing.T) {
	f, uid, dir := testAccounts(t)
	joe := Assignment{User: "joe", UID: uid, GID: 100, Home: filepath.Join(dir, "joe")}
	with := func(a Assignment, dash, ext string) Assignment { a.Dash, a.Ext = dash, ext; return a }
	alias := Assignment{User: "alias", UID: uid, GID: 102, Home: filepath.Join(dir, "alias"), Dash: "-"}
	tests := []struct {
		name  string
		local string
		want  Assignment
	}{
		{"plain user", "joe", joe},
		{"name is lowercased before getpwnam", "Joe", joe},
		{"extension after the dash, case kept", "joe-Foo", with(joe, "-", "Foo")},
		{"empty extension still has the dash", "joe-", with(joe, "-", "")},
		{"longest account name first", "joe-bar-x",
			Assignment{User: "joe-bar", UID: uid, GID: 101, Home: filepath.Join(dir, "joe-bar"), Dash: "-", Ext: "x"}},
		{"root is never a mail user", "root", with(alias, "-", "root")},
		{"a home owned by someone else does not count", "stranger", with(alias, "-", "stranger")},
		{"a missing home does not count", "nohome-x", with(alias, "-", "nohome-x")},
		{"only a dash ends the account name", "joex", with(alias, "-", "joex")},
		{"unknown goes to alias with the whole local part", "Who-Else", with(alias, "-", "Who-Else")},
	}
	for _, tt := range tests {
		got, ok, err := f.GetPW(tt.local)
		if err != nil || !ok || got != tt.want {
			t.Errorf("%s: GetPW(%q) = %+v, %v, %v; want %+v", tt.name, tt.local, got, ok, err, tt.want)
		}
	}
}

func TestGetPWWithoutAlias(t *testing.T) {
	f, _, _ := testAccounts(t)
	f.AliasUser = "nosuchalias"
	if a, ok, err := f.GetPW("unknown"); ok || err != nil {
		t.Errorf("GetPW = %+v, %v, %v; want nobody", a, ok, err)
	}
	f.Passwd = filepath.Join(t.TempDir(), "nopasswd")
	if _, _, err := f.GetPW("joe"); err == nil {
		t.Error("an unreadable password file gave no error")
	}
}

func TestLookupCDBBeforePasswd(t *testing.T) {
	f, uid, dir := testAccounts(t)
	es, err := ParseAssign([]byte("=joe:other:5:6:/elsewhere:::\n+lists-:lists:7:8:/l:-::\n.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCDB(f.CDB, es); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		local string
		want  Assignment
		why   string
	}{
		{"joe", Assignment{User: "other", UID: 5, GID: 6, Home: "/elsewhere"}, "users/cdb wins over the password file"},
		{"lists-x", Assignment{User: "lists", UID: 7, GID: 8, Home: "/l", Dash: "-", Ext: "x"}, "wildcard in users/cdb"},
		{"joe-x", Assignment{User: "joe", UID: uid, GID: 100, Home: filepath.Join(dir, "joe"), Dash: "-", Ext: "x"}, "no cdb entry: password file"},
	}
	for _, tt := range tests {
		got, ok, err := f.Lookup(tt.local)
		if err != nil || !ok || got != tt.want {
			t.Errorf("%s: Lookup(%q) = %+v, %v, %v; want %+v", tt.why, tt.local, got, ok, err, tt.want)
		}
	}
}

func TestNewFinder(t *testing.T) {
	f := NewFinder("/var/qmail")
	if f.CDB != "/var/qmail/users/cdb" || f.Passwd != "/etc/passwd" || f.AliasUser != "alias" {
		t.Errorf("NewFinder = %+v", f)
	}
}

func FuzzLookupSplit(f *testing.F) {
	f.Add("joe-foo-bar")
	f.Add("")
	f.Add("-")
	f.Add("JOE--")
	dir := f.TempDir()
	es, _ := ParseAssign([]byte("=joe:joe:1:2:/h:::\n+joe-:joe:1:2:/h:-::\n+a.b:x:1:2:/h:-:p:\n+:alias:3:4:/a:-::\n.\n"))
	p := filepath.Join(dir, "cdb")
	if err := WriteCDB(p, es); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, local string) {
		a, ok, err := lookupCDB(p, local)
		if err != nil || !ok {
			t.Fatalf("lookupCDB(%q) = %v, %v; the catch-all must answer", local, ok, err)
		}
		// Whatever entry answered, its extension ends with the part of the
		// address its prefix did not cover.
		if a.User == "alias" && a.Ext != local {
			t.Fatalf("catch-all ext %q, want %q", a.Ext, local)
		}
		pw := passwd{{Name: "joe", UID: 1, GID: 1, Home: "/nonexistent"}}
		if _, _, err := userExt(pw, local); err != nil {
			t.Fatal(err)
		}
	})
}
