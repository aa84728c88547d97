package stats

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenNow is the "now" relative bounds count from in the golden runs:
// the end of testdata/send.log's hour.
const goldenNow = "2026-01-12T15:00:00Z"

// runMain runs qmail-stats in-process with args and stdin from the file
// named (or none), and returns its exit code, output and diagnostics.
func runMain(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in, err := os.Open(os.DevNull)
	if stdin != "" {
		in, err = os.Open(stdin)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var diag bytes.Buffer
	inv := &cli.Invocation{Name: "qmail-stats", Args: append([]string{"qmail-stats"}, args...),
		Stdin: in, Stdout: out, Stderr: &diag}
	code := run(inv, mustTime(t, goldenNow))
	got, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(got), diag.String()
}

// compareGolden compares got with testdata/name, or rewrites it under
// -update.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// The golden inputs are written by hand, each line a case: testdata/send.log
// is a day in qmail-send's life (success, failure and bounce, deferral then
// double bounce, triple bounce, warnings, garbage, a delivery still in
// progress at exit), testdata/smtpd.log tcpserver, rblsmtpd and qmail-smtpd
// lines of one service, testdata/garbage.log repeated and orphaned lines,
// a broken stamp, binary, and a last line without its newline.
var goldenCases = []struct {
	why    string
	golden string
	stdin  string
	args   []string
}{
	{"the report of a qmail-send log", "send.report", "", []string{"testdata/send.log"}},
	{"standard input when no log is named", "send.report", "testdata/send.log", nil},
	{"- names standard input", "send.report", "testdata/send.log", []string{"-"}},
	{"the metrics of a qmail-send log", "send.prom", "", []string{"-p", "testdata/send.log"}},
	{"the report of the SMTP service's log", "smtpd.report", "", []string{"testdata/smtpd.log"}},
	{"both logs at once, one domain shown: the rest is (other)", "all-top1.prom", "", []string{"-p", "-n", "1", "testdata/send.log", "testdata/smtpd.log"}},
	{"both logs, no domain shown", "all-top0.report", "", []string{"-n0", "testdata/send.log", "testdata/smtpd.log"}},
	{"a window [14:00:11, 14:10:13.05): the delay of a result inside it counts from a new msg before it", "window.report", "",
		[]string{"-s", "2026-01-12 14:00:11", "-u", "@40000000696500cf02faf080", "testdata/send.log"}},
	{"a window given as a duration back from now", "window-recent.prom", "", []string{"-p", "-s", "50m", "testdata/send.log"}},
	{"repeated, orphaned and broken lines", "garbage.report", "", []string{"testdata/garbage.log"}},
	{"repeated, orphaned and broken lines as metrics", "garbage.prom", "", []string{"-p", "testdata/garbage.log"}},
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		code, out, diag := runMain(t, c.stdin, c.args...)
		if code != ExitOK || diag != "" {
			t.Errorf("%s: exit %d, diagnostics %q", c.why, code, diag)
			continue
		}
		compareGolden(t, c.golden, out)
		if filepath.Ext(c.golden) == ".prom" {
			if err := checkExposition(out); err != nil {
				t.Errorf("%s: %v", c.why, err)
			}
		}
	}
}

// The same lines read across a multilog directory's archives and current
// give the same figures as one file.
func TestDirectoryOrder(t *testing.T) {
	whole, err := os.ReadFile("testdata/send.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(whole, []byte("\n"))
	dir := t.TempDir()
	// Archive names are the TAI64N label of their rotation; sorted by
	// name they are in time order whatever order the directory lists.
	parts := map[string][][]byte{
		"@400000006964fe6a00000000.s": lines[:10],
		"@400000006964fe6b00000000.u": lines[10:30],
		"current":                     lines[30:],
		"state":                       {[]byte("new msg 1\n")},
		"lock":                        nil,
	}
	for name, ls := range parts {
		if err := os.WriteFile(filepath.Join(dir, name), bytes.Join(ls, nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, fromDir, diag := runMain(t, "", dir)
	_, fromFile, _ := runMain(t, "", "testdata/send.log")
	if code != ExitOK || diag != "" || fromDir != fromFile {
		t.Errorf("directory: exit %d %q; report differs from the file's:\n%s", code, diag, fromDir)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o644)
	logDir := filepath.Join(dir, "log")
	os.MkdirAll(filepath.Join(logDir, "current"), 0o755) // current that cannot be read
	for _, c := range []struct {
		why  string
		args []string
		code int
		diag string
	}{
		{"an unknown option", []string{"-x"}, ExitUsage, "qmail-stats: usage: qmail-stats " + synopsis + "\n"},
		{"-n without a number", []string{"-n", "many"}, ExitUsage,
			"qmail-stats: warning: -n needs a number of domains, not \"many\"\nqmail-stats: usage: qmail-stats " + synopsis + "\n"},
		{"a time that is none", []string{"-s", "yesterday", "testdata/send.log"}, ExitUsage,
			"qmail-stats: warning: unable to understand time \"yesterday\"\nqmail-stats: usage: qmail-stats " + synopsis + "\n"},
		{"-u without its argument", []string{"-u"}, ExitUsage, "qmail-stats: usage: qmail-stats " + synopsis + "\n"},
		{"a log that does not exist", []string{"testdata/send.log", filepath.Join(notDir, "x")}, ExitRead,
			"qmail-stats: fatal: unable to stat " + filepath.Join(notDir, "x") + ": not a directory\n"},
		{"a log directory whose current is unreadable", []string{logDir}, ExitRead,
			"qmail-stats: fatal: unable to read " + filepath.Join(logDir, "current") + ": is a directory\n"},
	} {
		code, out, diag := runMain(t, "", c.args...)
		if code != c.code || diag != c.diag || out != "" {
			t.Errorf("%s: exit %d, diagnostics %q, output %q; want %d, %q and no output", c.why, code, diag, out, c.code, c.diag)
		}
	}
}

// An unwritable standard output is a temporary failure.
func TestWriteError(t *testing.T) {
	ro, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var diag bytes.Buffer
	inv := &cli.Invocation{Name: "qmail-stats", Args: []string{"qmail-stats", "testdata/send.log"}, Stdout: ro, Stderr: &diag}
	if code := run(inv, time.Now()); code != ExitRead || !bytes.HasPrefix(diag.Bytes(), []byte("qmail-stats: fatal: unable to write output: ")) {
		t.Errorf("exit %d, %q", code, diag.String())
	}
}

// Two services' logs keep their listeners apart: a peak of one says
// nothing about the other.
func TestListenersPerLog(t *testing.T) {
	smtpd, err := os.ReadFile("testdata/smtpd.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, svc := range []string{"qmail-smtpd", "submission"} {
		os.MkdirAll(filepath.Join(dir, svc), 0o755)
		os.WriteFile(filepath.Join(dir, svc, "current"), smtpd, 0o644)
	}
	code, out, diag := runMain(t, "", "-p", filepath.Join(dir, "qmail-smtpd"), filepath.Join(dir, "submission", "current"))
	if code != ExitOK || diag != "" {
		t.Fatalf("exit %d, %q", code, diag)
	}
	for _, want := range []string{
		`quail_tcpserver_connections_total{server="tcpserver",log="qmail-smtpd"} 3`,
		`quail_tcpserver_connections_total{server="tcpserver",log="submission"} 3`,
		`quail_tcpserver_concurrency_peak{server="tcpserver",log="submission"} 2`,
		`quail_smtpd_messages_queued_total 2`,
	} {
		if !bytes.Contains([]byte(out), []byte(want+"\n")) {
			t.Errorf("lacks %s:\n%s", want, out)
		}
	}
}

func TestSourceName(t *testing.T) {
	for _, c := range []struct{ why, in, want string }{
		{"a log directory is named for its service", "/var/log/qmail-smtpd/", "qmail-smtpd"},
		{"its current too", "/var/log/qmail-smtpd/current", "qmail-smtpd"},
		{"and its archives", "/var/log/qmail-smtpd/@400000006964fe6a00000000.s", "qmail-smtpd"},
		{"another file by its name", "smtpd.log", "smtpd.log"},
		{"standard input", "-", "-"},
	} {
		if got := sourceName(c.in); got != c.want {
			t.Errorf("%s: sourceName(%q) = %q, want %q", c.why, c.in, got, c.want)
		}
	}
}
