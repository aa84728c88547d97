package supervise_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompatCrossDrive runs one supervise and drives it with the other
// implementation's svc, so both directions of the on-disk interface are
// exercised: Debian's svc, svstat and svok against our supervise, ours
// against Debian's. After every step both svstats describe the same state
// and must print the same line (elapsed seconds hidden), both svoks must
// agree, and the status record must decode to what svstat said.
func TestCompatCrossDrive(t *testing.T) {
	q, d := ours(t), debian(t)
	for _, c := range []struct{ sup, client tools }{{q, d}, {d, q}} {
		t.Run(c.sup.name+" supervise, "+c.client.name+" svc", func(t *testing.T) {
			crossDrive(t, c.sup, c.client, q, d)
		})
	}
}

func crossDrive(t *testing.T, sup, client, q, d tools) {
	base := t.TempDir()
	// TERM is ignored so that "want down" can be observed; k ends it.
	marker := filepath.Join(base, "trapped")
	dir := service(t, base, "svc", "trap '' TERM\necho trapped >> "+marker+"\nexec sleep 1000")
	startSupervise(t, sup.supervise, dir)

	compare := func(step, want string) {
		t.Helper()
		lines := map[string]string{}
		for _, tl := range []tools{q, d} {
			out, _, code := run(t, tl.svstat, dir)
			if code != 0 {
				t.Fatalf("%s: %s svstat exit %d", step, tl.name, code)
			}
			lines[tl.name] = filterSeconds(out)
		}
		if lines[q.name] != lines[d.name] {
			t.Fatalf("%s: svstat differs:\n quail:       %q\n daemontools: %q", step, lines[q.name], lines[d.name])
		}
		if got := strings.TrimPrefix(lines[q.name], dir+": "); got != want+"\n" {
			t.Fatalf("%s: svstat says %q, want %q", step, got, want)
		}
		_, _, okQ := run(t, q.svok, dir)
		_, _, okD := run(t, d.svok, dir)
		if okQ != okD {
			t.Fatalf("%s: svok exit %d (quail) vs %d (daemontools)", step, okQ, okD)
		}
		if want != "supervise not running" {
			if okQ != 0 {
				t.Fatalf("%s: svok exit %d with supervise running", step, okQ)
			}
			st := readStatus(t, dir)
			if st.PID != 0 && !strings.Contains(lines[q.name], fmt.Sprintf("(pid %d)", st.PID)) {
				t.Fatalf("%s: status record pid %d, svstat %q", step, st.PID, lines[q.name])
			}
		}
	}
	svc := func(opts string) {
		t.Helper()
		if _, errs, code := run(t, client.svc, opts, dir); code != 0 || errs != "" {
			t.Fatalf("svc %s: exit %d, %q", opts, code, errs)
		}
	}
	pidRE := func() string { return fmt.Sprintf("up (pid %d) S seconds", readStatus(t, dir).PID) }

	waitUp(t, dir)
	compare("started", pidRE())
	started := readStatus(t, dir).Stamp

	svc("-p")
	waitFor(t, "paused", 5e9, func() bool { st, ok := statusOK(dir); return ok && st.Paused })
	compare("paused", pidRE()+", paused")
	svc("-c")
	waitFor(t, "continued", 5e9, func() bool { st, ok := statusOK(dir); return ok && !st.Paused })
	compare("continued", pidRE())
	// The stamp is that of the last start or exit, not of the last command.
	if st := readStatus(t, dir); st.Stamp != started {
		t.Fatalf("stamp moved from %v to %v on svc -p/-c", started, st.Stamp)
	}

	if err := os.WriteFile(filepath.Join(dir, "down"), nil, 0644); err != nil {
		t.Fatal(err)
	}
	compare("down file", pidRE()+", normally down")
	os.Remove(filepath.Join(dir, "down"))

	waitFor(t, "TERM to be ignored", 5e9, func() bool { return len(readLines(t, marker)) > 0 })
	svc("-d")
	waitFor(t, "want down", 5e9, func() bool { st, ok := statusOK(dir); return ok && st.Want == 'd' })
	compare("TERM ignored", pidRE()+", want down")
	svc("-k")
	waitDown(t, dir)
	compare("killed", "down S seconds, normally up")

	svc("-o")
	waitUp(t, dir)
	compare("once", pidRE())
	svc("-k")
	waitDown(t, dir)
	compare("once ended", "down S seconds, normally up")

	svc("-u")
	waitUp(t, dir)
	compare("up again", pidRE())

	svc("-dx")
	svc("-k")
	waitFor(t, "supervise to exit", 10e9, func() bool { return !supervising(dir) })
	compare("exited", "supervise not running")
}

// TestCompatSvstatErrors compares the lines for directories svstat cannot
// use.
func TestCompatSvstatErrors(t *testing.T) {
	q, d := ours(t), debian(t)
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0644)
	never := filepath.Join(base, "never")
	os.Mkdir(never, 0755)
	stale := service(t, base, "stale", "exec sleep 1000")
	startSupervise(t, q.supervise, stale)
	sendControl(stale, "dx")
	waitFor(t, "supervise to exit", 10*time.Second, func() bool { return !supervising(stale) })
	short := filepath.Join(base, "short")
	os.MkdirAll(filepath.Join(short, "supervise"), 0700)
	args := []string{filepath.Join(base, "missing"), file, never, stale, short}
	outQ, _, codeQ := run(t, q.svstat, args...)
	outD, _, codeD := run(t, d.svstat, args...)
	if outQ != outD || codeQ != codeD {
		t.Fatalf("svstat differs:\nquail (%d):\n%s\ndaemontools (%d):\n%s", codeQ, outQ, codeD, outD)
	}
	if !strings.Contains(outQ, "supervise not running") || !strings.Contains(outQ, "not a directory") {
		t.Fatalf("unexpected svstat output:\n%s", outQ)
	}
	for _, a := range args {
		_, eq, cq := run(t, q.svc, "-u", a)
		_, ed, cd := run(t, d.svc, "-u", a)
		if cq != 0 || cd != 0 || eq != ed {
			t.Errorf("svc -u %s: quail %d %q, daemontools %d %q", a, cq, eq, cd, ed)
		}
	}
	for _, a := range args {
		_, eq, cq := run(t, q.svok, a)
		_, ed, cd := run(t, d.svok, a)
		if cq != cd || eq != ed {
			t.Errorf("svok %s: quail %d %q, daemontools %d %q", a, cq, eq, cd, ed)
		}
	}
	for _, tl := range []tools{q, d} {
		_, _, code := run(t, tl.svok)
		if code != 100 {
			t.Errorf("%s svok without arguments: exit %d, want 100", tl.name, code)
		}
		_, errs, code := run(t, tl.svc, "-z", never)
		if code != 100 || !strings.Contains(errs, "svc options: u up, d down") {
			t.Errorf("%s svc -z: exit %d, %q", tl.name, code, errs)
		}
	}
}

// TestCompatLockHeld: a second supervise, ours or Debian's, refuses a
// directory that one of the other kind already supervises.
func TestCompatLockHeld(t *testing.T) {
	q, d := ours(t), debian(t)
	for _, c := range []struct{ first, second tools }{{q, d}, {d, q}} {
		dir := service(t, t.TempDir(), "svc", "exec sleep 1000")
		startSupervise(t, c.first.supervise, dir)
		_, errs, code := run(t, c.second.supervise, dir)
		want := "supervise: fatal: unable to acquire " + dir + "/supervise/lock: temporary failure\n"
		if code != 111 || errs != want {
			t.Errorf("%s supervise on a directory %s supervises: exit %d, %q; want 111, %q", c.second.name, c.first.name, code, errs, want)
		}
	}
}

// TestCompatSuperviseFiles: our supervise and Debian's create the same
// files in supervise/, of the same types and modes.
func TestCompatSuperviseFiles(t *testing.T) {
	q, d := ours(t), debian(t)
	listing := func(tl tools) string {
		dir := service(t, t.TempDir(), "svc", "exec sleep 1000")
		startSupervise(t, tl.supervise, dir)
		waitUp(t, dir)
		var b strings.Builder
		sup := filepath.Join(dir, "supervise")
		fi, err := os.Stat(sup)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "supervise %v\n", fi.Mode())
		ents, _ := os.ReadDir(sup)
		for _, e := range ents {
			info, _ := e.Info()
			fmt.Fprintf(&b, "%s %v %d\n", e.Name(), info.Mode(), info.Size())
		}
		return b.String()
	}
	lq, ld := listing(q), listing(d)
	if lq != ld {
		t.Fatalf("supervise/ differs:\nquail:\n%s\ndaemontools:\n%s", lq, ld)
	}
	if !strings.Contains(lq, "supervise drwx------\n") || !strings.Contains(lq, "control prw-------") {
		t.Fatalf("unexpected modes:\n%s", lq)
	}
}

// TestCompatFatal compares messages and exit codes of bad invocations that
// end a program at once.
func TestCompatFatal(t *testing.T) {
	q, d := ours(t), debian(t)
	base := t.TempDir()
	missing := filepath.Join(base, "missing")
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0644)
	cases := []struct {
		why  string
		prog func(tools) string
		args []string
	}{
		{"supervise needs exactly one argument", func(x tools) string { return x.supervise }, nil},
		{"supervise refuses two", func(x tools) string { return x.supervise }, []string{"a", "b"}},
		{"supervise on a missing directory", func(x tools) string { return x.supervise }, []string{missing}},
		{"supervise on a file", func(x tools) string { return x.supervise }, []string{file}},
		{"svscan on a missing directory", func(x tools) string { return x.svscan }, []string{missing}},
		{"svok without argument", func(x tools) string { return x.svok }, nil},
		{"svok on a missing directory", func(x tools) string { return x.svok }, []string{missing}},
		{"svok on a file", func(x tools) string { return x.svok }, []string{file}},
		{"svstat without argument prints nothing", func(x tools) string { return x.svstat }, nil},
		{"svc without directories does nothing", func(x tools) string { return x.svc }, []string{"-u"}},
	}
	for _, c := range cases {
		oq, eq, cq := run(t, c.prog(q), c.args...)
		od, ed, cd := run(t, c.prog(d), c.args...)
		if oq != od || eq != ed || cq != cd {
			t.Errorf("%s:\n quail:       %d %q %q\n daemontools: %d %q %q", c.why, cq, oq, eq, cd, od, ed)
		}
	}
}
