package users

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

const pwText = "root:x:0:0:root:/root:/bin/sh\n" +
	"joe:x:1001:100:Joe:/home/joe:/bin/sh\n" +
	"Upper:x:1002:100::/home/upper:/bin/sh\n" +
	"short:x:1003:100\n" +
	"alias:x:7790:2108::/var/qmail/alias:/bin/true\n" +
	"ann:x:1004:100::/home/ann:/bin/sh" // no final newline

func TestPw2uDefaults(t *testing.T) {
	p := &Pw2u{DashColon: "-:", Home: HomeIgnore, Break: "-", Alias: "alias"}
	var out bytes.Buffer
	if err := p.Convert(strings.NewReader(pwText), &out); err != nil {
		t.Fatal(err)
	}
	want := "=joe:joe:1001:100:/home/joe:::\n" +
		"+joe-:joe:1001:100:/home/joe:-::\n" +
		"+:alias:7790:2108:/var/qmail/alias:-::\n" +
		"=alias:alias:7790:2108:/var/qmail/alias:::\n" +
		"+alias-:alias:7790:2108:/var/qmail/alias:-::\n" +
		"=ann:ann:1004:100:/home/ann:::\n" +
		"+ann-:ann:1004:100:/home/ann:-::\n" +
		".\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	// What qmail-pw2u writes, qmail-newu must accept.
	if _, err := ParseAssign(out.Bytes()); err != nil {
		t.Errorf("qmail-newu refuses qmail-pw2u's output: %v", err)
	}
}

func TestPw2uOptionsAndFiles(t *testing.T) {
	p := &Pw2u{DashColon: "-/:", Home: HomeIgnore, Break: "", Alias: "alias", AllowUpper: true,
		Exclude:   map[string]bool{"ann": true},
		MailNames: map[string][]string{"joe": {"joe.smith", "", "js"}},
		Subusers:  []byte("sales:joe:sales:\nbad line\n"),
		Append:    []byte("=extra:joe:1001:100:/home/joe:::\n"),
	}
	var out bytes.Buffer
	if err := p.Convert(strings.NewReader(pwText), &out); err != nil {
		t.Fatal(err)
	}
	want := "=joe.smith:joe:1001:100:/home/joe:::\n" +
		"=js:joe:1001:100:/home/joe:::\n" +
		"=Upper:Upper:1002:100:/home/upper:::\n" +
		"+:alias:7790:2108:/var/qmail/alias:-/::\n" +
		"=alias:alias:7790:2108:/var/qmail/alias:::\n" +
		"=sales:joe:1001:100:/home/joe:-/:sales:\n" +
		"=extra:joe:1001:100:/home/joe:::\n" +
		".\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	p.Break = "-"
	p.DashColon = "-:"
	p.Append = nil
	out.Reset()
	p.Convert(strings.NewReader(pwText), &out)
	if !strings.Contains(out.String(), "=sales:joe:1001:100:/home/joe:-:sales:\n+sales-:joe:1001:100:/home/joe:-:sales-:\n") {
		t.Errorf("subuser with break: %s", out.String())
	}
}

func TestPw2uFailures(t *testing.T) {
	p := &Pw2u{DashColon: "-:", Home: HomeIgnore, Break: "-", Alias: "nobodyhere"}
	if err := p.Convert(strings.NewReader(pwText), &bytes.Buffer{}); err == nil || err.Error() != "unable to find nobodyhere user" {
		t.Errorf("no alias: %v", err)
	}
	p = &Pw2u{DashColon: "-:", Home: HomeIgnore, Break: "-", Alias: "alias", Subusers: []byte("s:ghost:x:\n")}
	if err := p.Convert(strings.NewReader(pwText), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "ghost user for subuser") {
		t.Errorf("unknown subuser owner: %v", err)
	}
}

func TestPw2uHomeStrategies(t *testing.T) {
	// joe's home exists but belongs to someone else; alias's is missing.
	dir := t.TempDir()
	pw := "joe:x:" + strconv.Itoa(os.Getuid()+1) + ":100::" + dir + ":/bin/sh\n" +
		"alias:x:7790:2108::" + dir + "/missing:/bin/true\n"
	p := &Pw2u{DashColon: "-:", Home: HomeSkipBad, Break: "-", Alias: "alias"}
	if err := p.Convert(strings.NewReader(pw), &bytes.Buffer{}); err == nil {
		t.Error("-o: foreign and missing homes skipped, so alias is missing: want failure")
	}
	p.Home = HomeStop
	if err := p.Convert(strings.NewReader(pw), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "unable to stat") {
		t.Errorf("-h: a missing home is fatal: %v", err)
	}
	p.Home = HomeIgnore
	if err := p.Convert(strings.NewReader(pw), &bytes.Buffer{}); err != nil {
		t.Errorf("-H: homes not examined: %v", err)
	}
}
