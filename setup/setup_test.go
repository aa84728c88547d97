package setup

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecondRunChangesNothing(t *testing.T) {
	dir := t.TempDir()
	bin := fakeBin(t, allPrograms()...)
	var out bytes.Buffer
	r, err := Setup(singleUser(dir, bin), &out)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	if r.Changes == 0 || len(r.Services) != len(services) {
		t.Fatalf("first run made %d changes and services %v, want some and all:\n%s", r.Changes, r.Services, out.String())
	}
	before := snapshot(t, dir)
	out.Reset()
	r, err = Setup(singleUser(dir, bin), &out)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if r.Changes != 0 || !strings.Contains(out.String(), ": 0 changes;") {
		t.Errorf("second run made %d changes:\n%s", r.Changes, out.String())
	}
	after := snapshot(t, dir)
	for p, d := range before {
		if after[p] != d {
			t.Errorf("%s changed:\n was %s\n now %s", p, d, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared on the second run", p)
		}
	}
}

func TestAdministratorsFilesAreKept(t *testing.T) {
	dir := t.TempDir()
	bin := fakeBin(t, allPrograms()...)
	c := singleUser(dir, bin)
	own := map[string]string{
		filepath.Join(c.Home, "control", "me"):              "mx.example.org\n",
		filepath.Join(c.Home, "control", "rcpthosts"):       "example.org\n",
		filepath.Join(c.ServiceDir, "qmtpd", "env", "PORT"): "9999\n",
	}
	for p, text := range own {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if _, err := Setup(c, &out); err != nil {
		t.Fatal(err)
	}
	for p, text := range own {
		b, _ := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if string(b) != text || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s was changed to %q mode %v", p, b, fi.Mode())
		}
	}
	if !strings.Contains(out.String(), "kept "+filepath.Join(c.Home, "control", "me")) {
		t.Errorf("the kept control/me is not reported:\n%s", out.String())
	}
	// The rest of the service was completed around the kept file.
	if _, err := os.Stat(filepath.Join(c.ServiceDir, "qmtpd", "run")); err != nil {
		t.Errorf("qmtpd was not completed: %v", err)
	}
}

func TestMissingProgramsSkipServices(t *testing.T) {
	dir := t.TempDir()
	progs := []string{}
	for _, p := range allPrograms() {
		if p != "sslserver" && p != "qmail-qmqpd" {
			progs = append(progs, p)
		}
	}
	var out bytes.Buffer
	r, err := Setup(singleUser(dir, fakeBin(t, progs...)), &out)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(r.Services, " ")
	if got != "qmail-send qmail-smtpd qmtpd" {
		t.Errorf("services %q, want the ones without sslserver and qmail-qmqpd", got)
	}
	if !strings.Contains(out.String(), "skipped service qmqpd: qmail-qmqpd is not in") {
		t.Errorf("no note for the skipped qmqpd:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "service", "smtps")); err == nil {
		t.Errorf("smtps was installed without sslserver")
	}
}

func TestSingleUserFiles(t *testing.T) {
	dir := t.TempDir()
	c := singleUser(dir, fakeBin(t, allPrograms()...))
	c.Ports["qmail-smtpd"] = 2525
	if _, err := Setup(c, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	name, uid, gid := invoker()
	want := map[string]string{
		"qmail/control/me":                  "localhost\n",
		"qmail/control/locals":              "localhost\n",
		"qmail/control/singleuser":          "",
		"qmail/alias/.qmail-postmaster":     "&demo@localhost\n",
		"service/qmail-smtpd/env/PORT":      "2525\n",
		"service/qmail-smtpd/env/IP":        "127.0.0.1\n",
		"service/qmail-smtpd/env/QMAILDUID": "",
		"service/qmail-smtpd/env/LOGUSER":   "",
		"service/qmail-send/env/LOGDIR":     filepath.Join(dir, "log", "qmail-send") + "\n",
		"service/submission/env/UCSPITLS":   "!\n",
		"service/submission/env/SMTPAUTH":   "!\n",
		"service/pop3/env/CHECKPASSWORD":    "checkvpw\n",
		"service/pop3/env/UCSPITLS":         "+\n", // loopback demo: USER/PASS in the clear too
		"service/qmail-smtpd/env/MAXCONIP":  "10\n",
		"service/pop3/env/MAXCONIP":         "10\n",
		"qmail/users/vpasswd":               "demo:{PLAIN}demo:::" + filepath.Join(dir, "home", "demo") + "\n",
		"qmail/users/assign": "=demo:" + name + ":" + itoa(uid) + ":" + itoa(gid) + ":" + filepath.Join(dir, "home", "demo") + ":::\n" +
			"+demo-:" + name + ":" + itoa(uid) + ":" + itoa(gid) + ":" + filepath.Join(dir, "home", "demo") + ":-::\n" +
			"=alias:" + name + ":" + itoa(uid) + ":" + itoa(gid) + ":" + filepath.Join(dir, "qmail", "alias") + ":::\n" +
			"+alias-:" + name + ":" + itoa(uid) + ":" + itoa(gid) + ":" + filepath.Join(dir, "qmail", "alias") + ":-::\n" +
			"+:" + name + ":" + itoa(uid) + ":" + itoa(gid) + ":" + filepath.Join(dir, "qmail", "alias") + ":-::\n.\n",
	}
	for rel, text := range want {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || string(b) != text {
			t.Errorf("%s = %q (%v), want %q", rel, b, err, text)
		}
	}
	for rel, mode := range map[string]os.FileMode{
		"qmail/control/serverkey.pem": 0o600, "qmail/users/vpasswd.cdb": 0o600,
		"qmail/queue/lock/trigger": os.ModeNamedPipe | 0o622, "home/demo": os.ModeDir | 0o755,
		"home/demo/Maildir/new": os.ModeDir | 0o700, "service/qmail-smtpd/run": 0o755,
	} {
		fi, err := os.Lstat(filepath.Join(dir, rel))
		if err != nil || fi.Mode() != mode {
			t.Errorf("%s: mode %v (%v), want %v", rel, fi.Mode(), err, mode)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCheckFindsProblems breaks a fresh instance one way per case and
// wants check mode to name the problem.
func TestCheckFindsProblems(t *testing.T) {
	cases := []struct {
		name   string
		why    string
		break_ func(t *testing.T, c *Config)
		want   string
	}{
		{"clean", "a fresh instance has nothing to report", func(*testing.T, *Config) {}, ""},
		{"queue mode", "a queue directory others may write lets them forge mail",
			func(t *testing.T, c *Config) { chmod(t, filepath.Join(c.Home, "queue", "mess", "7"), 0o777) },
			"queue/mess/7 has mode 0777, not 0750; chmod 0750"},
		{"trigger mode", "a trigger nobody may write leaves qmail-send asleep",
			func(t *testing.T, c *Config) { chmod(t, filepath.Join(c.Home, "queue", "lock", "trigger"), 0o600) },
			"lock/trigger has mode 0600, not 0622"},
		{"trigger not a fifo", "qmail-queue cannot wake qmail-send through a plain file",
			func(t *testing.T, c *Config) {
				p := filepath.Join(c.Home, "queue", "lock", "trigger")
				os.Remove(p)
				write(t, p, "")
			}, "lock/trigger is not a FIFO"},
		{"stale users/cdb", "edits to users/assign mean nothing until qmail-newu runs",
			func(t *testing.T, c *Config) { touchLater(t, filepath.Join(c.Home, "users", "assign")) },
			"users/cdb is missing or older than",
		},
		{"stale vpasswd", "a new POP3 password is not used until qmail-newvpw runs",
			func(t *testing.T, c *Config) { touchLater(t, filepath.Join(c.Home, "users", "vpasswd")) },
			"run qmail-newvpw"},
		{"stale rules", "tcpserver reads only the compiled rules",
			func(t *testing.T, c *Config) { touchLater(t, filepath.Join(c.Home, "tcp", "smtp")) },
			"run quail-setup -r"},
		{"no me", "qmail-send and qmail-smtpd refuse to start without control/me",
			func(t *testing.T, c *Config) { os.Remove(filepath.Join(c.Home, "control", "me")) },
			"control/me is missing or empty"},
		{"locals and virtualdomains", "a domain in both never reaches its virtual user",
			func(t *testing.T, c *Config) {
				write(t, filepath.Join(c.Home, "control", "virtualdomains"), "localhost:demo\n")
			}, "localhost is in both control/locals and control/virtualdomains"},
		{"rcpthosts lacks a local", "qmail-smtpd would refuse mail for a local domain",
			func(t *testing.T, c *Config) {
				write(t, filepath.Join(c.Home, "control", "locals"), "localhost\nexample.org\n")
			}, "control/rcpthosts lacks example.org from control/locals"},
		{"no rcpthosts", "without rcpthosts qmail-smtpd is an open relay",
			func(t *testing.T, c *Config) { os.Remove(filepath.Join(c.Home, "control", "rcpthosts")) },
			"control/rcpthosts is missing"},
		{"run not executable", "supervise cannot start a service without an executable run",
			func(t *testing.T, c *Config) { chmod(t, filepath.Join(c.ServiceDir, "qmail-smtpd", "run"), 0o644) },
			"qmail-smtpd/run is missing or not executable"},
		{"log/run missing", "a service without its logger loses its log",
			func(t *testing.T, c *Config) { os.Remove(filepath.Join(c.ServiceDir, "qmqpd", "log", "run")) },
			"qmqpd/log/run is missing or not executable"},
		{"service missing", "a service whose programs are there but that is not installed does not run",
			func(t *testing.T, c *Config) { os.RemoveAll(filepath.Join(c.ServiceDir, "pop3s")) },
			"service pop3s is not installed"},
		{"expired certificate", "TLS clients refuse an expired certificate",
			func(t *testing.T, c *Config) {
				cert, key, err := selfSigned("localhost", time.Now().AddDate(-11, 0, 0))
				if err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(c.Home, CertFile), string(cert))
				write(t, filepath.Join(c.Home, KeyFile), string(key))
			}, "servercert.pem: expired on"},
		{"certificate garbage", "sslserver cannot start with a certificate that does not parse",
			func(t *testing.T, c *Config) { write(t, filepath.Join(c.Home, CertFile), "not a certificate\n") },
			"servercert.pem: tls: failed to find any PEM data"},
		{"classic softlimit -m", "the classic run script's softlimit -m 2000000 leaves Go programs unable to start under any softlimit but quail's",
			func(t *testing.T, c *Config) {
				p := filepath.Join(c.ServiceDir, "qmail-smtpd", "run")
				write(t, p, "#!/bin/sh\nexec /usr/local/bin/softlimit -m 2000000 tcpserver -v 0 smtp qmail-smtpd 2>&1\n")
				chmod(t, p, 0o755)
			}, "qmail-smtpd/run: softlimit -m 2000000 is below the 1500000000 bytes of address space quail's programs need to start; give softlimit -d 100000000 or more"},
		{"data limit in env", "a DATALIMIT the run script hands softlimit -d is checked as that value",
			func(t *testing.T, c *Config) {
				write(t, filepath.Join(c.ServiceDir, "pop3", "env", "DATALIMIT"), "3000000\n")
			},
			"pop3/run: softlimit -d 3000000 is below the 100000000 bytes of data"},
		{"key readable", "a private key others can read is no longer private",
			func(t *testing.T, c *Config) { chmod(t, filepath.Join(c.Home, KeyFile), 0o644) },
			"serverkey.pem is readable by others"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each case waits mostly on fsync
			dir := t.TempDir()
			bin := fakeBin(t, allPrograms()...)
			if _, err := Setup(singleUser(dir, bin), &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			c := singleUser(dir, bin)
			c.validate()
			tc.break_(t, c)
			var out bytes.Buffer
			n, err := Check(singleUser(dir, bin), &out)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if n != 0 {
					t.Errorf("%s: %d problems:\n%s", tc.why, n, out.String())
				}
				return
			}
			if n == 0 || !strings.Contains(out.String(), tc.want) {
				t.Errorf("%s: got %d problems, want one saying %q:\n%s", tc.why, n, tc.want, out.String())
			}
		})
	}
}

func chmod(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, text string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// touchLater makes a source file newer than its compiled table.
func touchLater(t *testing.T, p string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
}

func TestParsePort(t *testing.T) {
	cases := []struct {
		arg, why string
		ok       bool
		name     string
		port     int
	}{
		{"qmail-smtpd=2525", "the usual form", true, "qmail-smtpd", 2525},
		{"pop3s=1", "the lowest port", true, "pop3s", 1},
		{"qmqpd=65535", "the highest port", true, "qmqpd", 65535},
		{"smtp=25", "an unknown service name", false, "", 0},
		{"qmail-send=25", "qmail-send listens on no port", false, "", 0},
		{"qmail-smtpd", "no port", false, "", 0},
		{"qmail-smtpd=0", "port 0 is no port", false, "", 0},
		{"qmail-smtpd=65536", "beyond 16 bits", false, "", 0},
		{"qmail-smtpd=25x", "trailing junk", false, "", 0},
	}
	for _, tc := range cases {
		m := map[string]int{}
		err := ParsePort(tc.arg, m)
		if (err == nil) != tc.ok || tc.ok && m[tc.name] != tc.port {
			t.Errorf("%s (%s): err %v, ports %v", tc.arg, tc.why, err, m)
		}
	}
}

func TestDefaultDomain(t *testing.T) {
	for host, want := range map[string]string{
		"mail.example.com": "example.com", // config-fast drops the first label
		"localhost":        "localhost",   // nothing to drop
		"a.b":              "b",
		"trailing.":        "trailing.", // nothing after the dot
	} {
		if got := defaultDomain(host); got != want {
			t.Errorf("defaultDomain(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestVirtualDomainAndCovered(t *testing.T) {
	for line, want := range map[string]string{
		"example.org:alias-example": "example.org",
		".example.org:sub":          ".example.org",
		"joe@example.org:joe":       "example.org",
		"nocolon":                   "nocolon",
	} {
		if got := virtualDomain(line); got != want {
			t.Errorf("virtualDomain(%q) = %q, want %q", line, got, want)
		}
	}
	rcpt := []string{"example.org", ".example.net"}
	for dom, want := range map[string]bool{
		"example.org": true, "a.example.net": true, "example.net": false, "other.org": false,
	} {
		if covered(rcpt, dom) != want {
			t.Errorf("covered(%v, %q) = %v", rcpt, dom, !want)
		}
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"qmail-smtpd=25", "pop3=", "=1", "qmqpd=99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := map[string]int{}
		if ParsePort(s, m) == nil {
			for _, p := range m {
				if p < 1 || p > 65535 {
					t.Fatalf("%q gave port %d", s, p)
				}
			}
		}
	})
}

func FuzzVirtualDomain(f *testing.F) {
	for _, s := range []string{"example.org:x", "a@b@c:d", ":", "", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := virtualDomain(s)
		if strings.Contains(d, ":") || strings.Contains(d, "@") {
			t.Fatalf("%q gave domain %q", s, d)
		}
	})
}

// TestUncheckableHashes: quail-setup -c names the accounts whose
// password hash checkpassword cannot check, and only those.
func TestUncheckableHashes(t *testing.T) {
	dir := t.TempDir()
	const y = "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$AwSWBvo9otG8BLH4EfD1adasacj5dqew9dxGW5j5f24"
	write(t, filepath.Join(dir, "passwd"), strings.Join([]string{
		"root:x:0:0::/root:/bin/sh",                                      // uid 0: checkpassword refuses it anyway
		"alice:x:1000:1000::/home/alice:/bin/sh",                         // yescrypt: fine
		"bob:x:1001:1001::/home/bob:/bin/sh",                             // bcrypt
		"carol:x:1002:1002::/home/carol:/bin/sh",                         // DES
		"dave:x:1003:1003::/home/dave:/bin/sh",                           // locked
		"erin:x:1004:1004::/home/erin:/bin/sh",                           // gost-yescrypt
		"frank:x:1005:1005::/home/frank:/bin/sh",                         // yescrypt beyond the bounds
		"grace:$2b$05$abcdefghijklmnopqrstuu:1006:1006::/home/g:/bin/sh", // hash in passwd itself
		"heidi:x:1007:1007::/home/heidi:/bin/sh",                         // no shadow entry
		"ivan:x:1008:1008::/home/ivan:/bin/sh",                           // empty field
	}, "\n")+"\n")
	write(t, filepath.Join(dir, "shadow"), strings.Join([]string{
		"root:$2b$10$abcdefghijklmnopqrstuu:19000::::::",
		"alice:" + y + ":19000::::::",
		"bob:$2b$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE:19000::::::",
		"carol:abJnggxhB/yWI:19000::::::",
		"dave:!" + y + ":19000::::::",
		"erin:$gy$j9T$PTG7pwtXsi9Kv8vJLJCQ5/$dyrcchn7uC15dUBzvo8SnAAsWLiKK4psgLPo.yVBiOD:19000::::::",
		"frank:$y$jJT$abcdefgh$" + strings.Repeat("A", 43) + ":19000::::::",
		"ivan::19000::::::",
	}, "\n")+"\n")
	var got []string
	for _, u := range uncheckable(filepath.Join(dir, "passwd"), filepath.Join(dir, "shadow")) {
		got = append(got, u.name+": "+u.err.Error())
	}
	want := []string{
		"bob: unsupported password hash scheme: bcrypt",
		"carol: unsupported password hash scheme: traditional DES crypt",
		"erin: unsupported password hash scheme: gost-yescrypt",
		"frank: hash too costly: yescrypt N=4194304 r=32 p=1 t=0 exceeds the bounds (1088 MiB of memory, 16777216 block mixes)",
		"grace: unsupported password hash scheme: bcrypt",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("uncheckable:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
