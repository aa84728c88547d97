package inject

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func settings() *Settings {
	return &Settings{DefaultHost: "host.example", DefaultDomain: "example", PlusDomain: "plus.example",
		IDHost: "id.example", User: "joe", Name: "Joe User"}
}

func TestRewrite(t *testing.T) {
	s := settings()
	cases := map[string]string{
		"bob":              "bob@host.example",
		"bob@mail":         "bob@mail.example",
		"bob@mail+":        "bob@mail.plus.example",
		"bob@x.y":          "bob@x.y",
		"bob@[192.0.2.1]":  "bob@[192.0.2.1]",
		"":                 "",
		"\"a b\"@mail.org": "\"a b\"@mail.org",
		"bob@localhost":    "bob@localhost", // RFC 6761: this machine
		"bob@LocalHost":    "bob@LocalHost",
		"bob@localhost+":   "bob@localhost.plus.example",
	}
	for in, want := range cases {
		if got := s.Rewrite(in); got != want {
			t.Errorf("Rewrite(%q) = %q, want %q", in, got, want)
		}
	}
	// Unlike qmail-inject(8), a dotless defaulthost is used as it is:
	// on a machine named "mailhub" (me, defaulthost and defaultdomain
	// alike) qmail's rule gives bob@mailhub.mailhub.
	s.DefaultHost, s.DefaultDomain = "mailhub", "mailhub"
	if got := s.Rewrite("bob"); got != "bob@mailhub" {
		t.Errorf("dotless defaulthost: %q", got)
	}
}

func TestAddresses(t *testing.T) {
	cases := []struct {
		v    string
		want []string
	}{
		{" a@b, c@d", []string{"a@b", "c@d"}},
		{" \"Doe, John\" <john@x>, (comment) bob", []string{"john@x", "bob"}},
		{" list: a@b, c;, d@e", []string{"a@b", "c", "d@e"}},
		{" undisclosed-recipients:;", nil},
		{" <@route:x@y>", []string{"@route:x@y"}},
		{" x@y (Name, with comma)", []string{"x@y"}},
	}
	for _, c := range cases {
		var got []string
		for _, sp := range Addresses(c.v) {
			got = append(got, sp.Addr)
			if c.v[sp.Start:sp.End] != sp.Addr {
				t.Errorf("%q: span %d-%d is %q, not %q", c.v, sp.Start, sp.End, c.v[sp.Start:sp.End], sp.Addr)
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Addresses(%q) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestPrepare(t *testing.T) {
	in := "From root\nTo: bob, \"Carol\" <carol@mail>\nBcc: secret\nReturn-Path: <bounce@x.y>\nContent-Length: 5\nSubject: hi\n\tthere\n\nbody\n"
	r := bufio.NewReader(strings.NewReader(in))
	fields, err := ReadHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	s := settings()
	now := time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC)
	m := s.Prepare(fields, now, 77)
	var b strings.Builder
	m.Write(&b)
	want := "To: bob@host.example, \"Carol\" <carol@mail.example>\nSubject: hi\n\tthere\nMessage-ID: <20261122030405.77.qmail@id.example>\nDate: 22 Nov 2026 03:04:05 -0000\nFrom: Joe User <joe@host.example>\n\n"
	if b.String() != want {
		t.Errorf("header:\n%s\nwant:\n%s", b.String(), want)
	}
	if !reflect.DeepEqual(m.Recipients, []string{"bob@host.example", "carol@mail.example", "secret@host.example"}) {
		t.Errorf("recipients %q", m.Recipients)
	}
	if got := s.Sender(m, nil, now, 77); got != "bounce@x.y" {
		t.Errorf("sender %q", got)
	}
	rest := new(strings.Builder)
	r.WriteTo(rest)
	if rest.String() != "body\n" {
		t.Errorf("body %q", rest.String())
	}
}

func TestSenderChoices(t *testing.T) {
	s := settings()
	now := time.Unix(1000, 0)
	m := &Message{}
	f := "me@elsewhere.org"
	if got := s.Sender(m, &f, now, 1); got != "me@elsewhere.org" {
		t.Errorf("-f: %q", got)
	}
	if got := s.Sender(m, nil, now, 1); got != "joe@host.example" {
		t.Errorf("default: %q", got)
	}
	s.SUser, s.SHost = "bounces", "lists.example"
	s.Flags = "r"
	if got := s.Sender(m, nil, now, 1); got != "bounces-@lists.example-@[]" {
		t.Errorf("VERP: %q", got)
	}
}

func TestNoToOrCcGetsPlaceholder(t *testing.T) {
	fields, _ := ReadHeader(bufio.NewReader(strings.NewReader("Subject: x\n\n")))
	m := settings().Prepare(fields, time.Now(), 1)
	var b strings.Builder
	m.Write(&b)
	if !strings.Contains(b.String(), "Cc: recipient list not shown: ;\n") {
		t.Errorf("%s", b.String())
	}
}

func TestNonHeaderLineStartsBody(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("Subject: x\nthis is not a field\nmore\n"))
	fields, _ := ReadHeader(r)
	if len(fields) != 1 {
		t.Fatalf("fields %v", fields)
	}
	rest := new(strings.Builder)
	r.WriteTo(rest)
	if rest.String() != "this is not a field\nmore\n" {
		t.Errorf("body %q", rest.String())
	}
}

// TestPrograms runs qmail-inject and sendmail -t with a stand-in for
// qmail-queue that records what it gets.
func TestPrograms(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "control"), 0755)
	os.MkdirAll(filepath.Join(home, "bin"), 0755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.example\n"), 0644)
	out := t.TempDir()
	qq := filepath.Join(home, "bin", "qmail-queue")
	os.WriteFile(qq, []byte("#!/bin/sh\ncat > \"$OUT/msg\"\ncat <&1 > \"$OUT/env\"\n"), 0755)
	inject := testbin.Path(t, "qmail-inject")
	os.Symlink(inject, filepath.Join(home, "bin", "qmail-inject"))
	env := []string{"QMAILHOME=" + home, "OUT=" + out, "PATH=/bin:/usr/bin", "USER=joe"}

	run := func(prog string, args ...string) {
		t.Helper()
		cmd := exec.Command(prog, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader("To: bob\nSubject: test\n\nhello\n")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v %s", prog, args, err, b)
		}
	}
	run(inject)
	envelope, _ := os.ReadFile(filepath.Join(out, "env"))
	if string(envelope) != "Fjoe@mx.example\x00Tbob@mx.example\x00\x00" {
		t.Errorf("qmail-inject envelope %q", envelope)
	}
	run(testbin.Path(t, "sendmail"), "-t", "-f", "owner@list.example", "-oi")
	envelope, _ = os.ReadFile(filepath.Join(out, "env"))
	if string(envelope) != "Fowner@list.example\x00Tbob@mx.example\x00\x00" {
		t.Errorf("sendmail -t envelope %q", envelope)
	}
	run(testbin.Path(t, "sendmail"), "carol@else.example")
	envelope, _ = os.ReadFile(filepath.Join(out, "env"))
	if string(envelope) != "Fjoe@mx.example\x00Tcarol@else.example\x00\x00" {
		t.Errorf("sendmail args envelope %q", envelope)
	}
	msg, _ := os.ReadFile(filepath.Join(out, "msg"))
	if !strings.HasPrefix(string(msg), "To: bob@mx.example\nSubject: test\nMessage-ID: <") || !strings.HasSuffix(string(msg), "\n\nhello\n") {
		t.Errorf("message %q", msg)
	}
	cmd := exec.Command(inject)
	cmd.Env = env
	cmd.Stdin = strings.NewReader("Subject: nobody\n\nx\n")
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "qmail-inject: fatal: no recipients") {
		t.Errorf("no recipients: %v %s", err, b)
	}
}

func FuzzHeader(f *testing.F) {
	f.Add("To: a, \"b, c\" <d@e>\nCc: list: x;\n (c) \nSubject: s\n\nbody")
	f.Add("From x\n:\n\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		fields, err := ReadHeader(bufio.NewReader(strings.NewReader(in)))
		if err != nil {
			return
		}
		s := settings()
		m := s.Prepare(fields, time.Unix(0, 0), 1)
		for _, f := range fields {
			for _, sp := range Addresses(f.Value) {
				if sp.Start < 0 || sp.End > len(f.Value) || sp.Start > sp.End {
					t.Fatalf("bad span %+v in %q", sp, f.Value)
				}
			}
		}
		var b strings.Builder
		m.Write(&b)
	})
}
