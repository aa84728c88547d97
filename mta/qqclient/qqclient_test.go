package qqclient

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeQueue writes a qmail-queue stand-in that saves its fd 0 and fd 1 in
// dir and exits with code.
func fakeQueue(t *testing.T, dir string, code int) string {
	t.Helper()
	p := filepath.Join(dir, "qq")
	script := "#!/bin/sh\ncat > " + filepath.Join(dir, "msg") + "\ncat <&1 > " + filepath.Join(dir, "env") +
		"\nexit " + strconv.Itoa(code) + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	prog := fakeQueue(t, dir, 0)
	in := Injection{Home: dir, Program: prog}
	r := in.Run([]byte("Delivered-To: x@y\n"), strings.NewReader("body\n"), "s@x", []string{"a@b", "c@d"})
	if !r.OK() || r.Pid == 0 {
		t.Fatalf("Run = %+v", r)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "msg"))
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	if string(msg) != "Delivered-To: x@y\nbody\n" {
		t.Errorf("message %q", msg)
	}
	if string(env) != "Fs@x\x00Ta@b\x00Tc@d\x00\x00" {
		t.Errorf("envelope %q", env)
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{11, "Denvelope address too long for qq (#5.1.3)"},
		{31, "Dmail server permanently rejected message (#5.3.0)"},
		{39, "Dqq permanent problem (#5.3.0)"},
		{53, "Zqq write error or disk full (#4.3.0)"},
		{64, "Zqq trouble creating files in queue (#4.3.0)"},
		{99, "Zqq temporary problem (#4.3.0)"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		r := Injection{Home: dir, Program: fakeQueue(t, dir, tt.code)}.Run(nil, strings.NewReader("x\n"), "", []string{"a@b"})
		if r.Status != tt.want {
			t.Errorf("exit %d: %q, want %q", tt.code, r.Status, tt.want)
		}
		if r.Permanent() != strings.HasPrefix(tt.want, "D") {
			t.Errorf("exit %d: Permanent = %v", tt.code, r.Permanent())
		}
	}
}

func TestRunMissingProgramAndHome(t *testing.T) {
	dir := t.TempDir()
	if r := (Injection{Home: dir, Program: "bin/qmail-queue"}).Run(nil, strings.NewReader(""), "", nil); r.Status != "Zunable to exec qq (#4.3.0)" {
		t.Errorf("missing program: %q", r.Status)
	}
	if r := (Injection{Home: filepath.Join(dir, "no"), Program: "x"}).Run(nil, strings.NewReader(""), "", nil); r.Status != "Zqq trouble in home directory (#4.3.0)" {
		t.Errorf("missing home: %q", r.Status)
	}
}

func TestProgram(t *testing.T) {
	get := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if p := Program(get(nil)); p != "bin/qmail-queue" {
		t.Errorf("default %q", p)
	}
	if p := Program(get(map[string]string{"QMAILQUEUE": "/x/qq"})); p != "/x/qq" {
		t.Errorf("QMAILQUEUE %q", p)
	}
}
