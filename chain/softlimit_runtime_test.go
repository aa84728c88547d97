package chain_test

import (
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/rtlimit"
	"github.com/quail-mta/quail/internal/testbin"
)

// goProgram is one kind of quail program, run as a run script would run
// it, with what it does when its limits let it run.
type goProgram struct {
	kind, name string
	args       []string
	env        []string
	stdin      string
	code       int
	stdout     string // a prefix
	stderr     string // a prefix
}

func goPrograms(t *testing.T) []goProgram {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "control"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "control", "me"), []byte("limits.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []goProgram{
		{kind: "a filter", name: "addcr", stdin: "a\n", stdout: "a\r\n"},
		{kind: "a daemon", name: "tcpserver", code: 100, stderr: "tcpserver: usage: tcpserver "},
		{kind: "a per-connection program", name: "qmail-smtpd", env: []string{"QMAILHOME=" + home},
			stdin: "QUIT\r\n", stdout: "220 limits.example ESMTP"},
	}
}

// The limits of the classic run scripts, and the lowest of each kind.
var classicLimits = [][]string{
	{"-m", "2000000"}, {"-m", "3000000"}, {"-d", "3000000"}, {"-a", "100000000"},
	{"-s", "20000"}, {"-o", "3"}, {"-p", "3"},
}

var refusal = regexp.MustCompile(`^([a-z@-]+): fatal: unable to start: (data|address space|stack|process) limit ([0-9]+) is below the ([0-9]+) (bytes|threads) the Go runtime needs \(softlimit -([dasp])\)\n$`)

// Under Debian's softlimit a quail program either runs or prints the one
// line of its entry routine (internal/rtlimit) naming the limit and exits
// 111; it dies silently only when the limit is below its own image, which
// the kernel then refuses to map (SIGSEGV before the first instruction).
// Never a runtime's "fatal error" or stack trace.
func TestQuailProgramsUnderDebianSoftlimit(t *testing.T) {
	if !rtlimit.Checked {
		t.Skip("no entry routine on this platform")
	}
	theirs := testbin.Peer(t, "softlimit")
	for _, p := range goPrograms(t) {
		path := testbin.Path(t, p.name)
		image, writable := imageSizes(t, path)
		for _, lim := range classicLimits {
			v, _ := strconv.ParseUint(lim[1], 10, 64)
			argv := append(append([]string{theirs}, lim...), append([]string{path}, p.args...)...)
			got := run(t, append([]string{basePath}, p.env...), p.stdin, argv...)
			what := p.kind + " (" + p.name + ") under softlimit " + strings.Join(lim, " ")
			if m := refusal.FindStringSubmatch(got.stderr); m != nil {
				if got.code != 111 || m[1] != p.name || m[3] != lim[1] || got.stdout != "" {
					t.Errorf("%s: exit %d, stdout %q, stderr %q", what, got.code, got.stdout, got.stderr)
				}
				continue
			}
			belowImage := (lim[0] == "-m" || lim[0] == "-a") && v < image+1<<20 ||
				(lim[0] == "-d" && v < writable)
			if got.code == -1 && got.stderr == "" && got.stdout == "" && belowImage {
				continue // the kernel's refusal: nothing can run to say so
			}
			checkRan(t, what, p, got, "")
		}
	}
}

// quail's softlimit raises what is too low for the quail program it runs,
// with one warning line, and the program runs.
func TestQuailProgramsUnderOurSoftlimit(t *testing.T) {
	if !rtlimit.Checked {
		t.Skip("no entry routine on this platform")
	}
	ours := testbin.Path(t, "softlimit")
	for _, p := range goPrograms(t) {
		path := testbin.Path(t, p.name)
		for _, lim := range classicLimits {
			argv := append(append([]string{ours}, lim...), append([]string{path}, p.args...)...)
			got := run(t, append([]string{basePath}, p.env...), p.stdin, argv...)
			what := p.kind + " (" + p.name + ") under softlimit " + strings.Join(lim, " ")
			warning := ""
			if w, _, ok := strings.Cut(got.stderr, "\n"); ok && strings.HasPrefix(w, "softlimit: warning: ") {
				warning = w + "\n"
			}
			raises := lim[0] != "-o" && (lim[0] != "-p" || os.Getuid() != 0)
			if raises != (warning != "") {
				t.Errorf("%s: warning %q", what, warning)
			}
			checkRan(t, what, p, got, warning)
		}
	}
}

func checkRan(t *testing.T, what string, p goProgram, got result, warning string) {
	t.Helper()
	rest := strings.TrimPrefix(got.stderr, warning)
	if got.code != p.code || !strings.HasPrefix(got.stdout, p.stdout) || !strings.HasPrefix(rest, p.stderr) ||
		strings.Contains(got.stderr, "runtime") || strings.Count(rest, "\n") > 1 {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want it to run (exit %d)", what, got.code, got.stdout, got.stderr, p.code)
	}
}

// imageSizes are the bytes of path's loadable segments, all and writable.
func imageSizes(t *testing.T, path string) (all, writable uint64) {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lo, hi := ^uint64(0), uint64(0)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			lo, hi = min(lo, p.Vaddr), max(hi, p.Vaddr+p.Memsz)
			if p.Flags&elf.PF_W != 0 {
				writable += p.Memsz
			}
		}
	}
	return hi - lo, writable
}

// RLIMIT_NPROC counts a user's threads, and the Go runtime starts several
// before main: for a user other than root the entry routine refuses a
// limit below them, under Debian's softlimit, and ours raises it.
func TestThreadLimitOfOtherUsers(t *testing.T) {
	if !rtlimit.Checked || os.Getuid() != 0 {
		t.Skip("needs root to become another user, and the entry routine")
	}
	theirs := testbin.Peer(t, "softlimit")
	setpriv := testbin.Peer(t, "setpriv")
	// A uid of this test alone: RLIMIT_NPROC counts every process and
	// thread of the user, and other tests run as nobody at the same time.
	asOther := []string{setpriv, "--reuid=64023", "--regid=64023", "--clear-groups"}
	dir, err := os.MkdirTemp("", "quail-nproc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	addcr, ours := filepath.Join(dir, "addcr"), filepath.Join(dir, "softlimit")
	testbin.CopyProgram(t, "addcr", addcr, 0o755)
	testbin.CopyProgram(t, "softlimit", ours, 0o755)

	got := run(t, []string{basePath}, "a\n", append(asOther, theirs, "-p", "3", addcr)...)
	want := "addcr: fatal: unable to start: process limit 3 is below the 8 threads the Go runtime needs (softlimit -p)\n"
	if got.code != 111 || got.stderr != want {
		t.Errorf("Debian's softlimit -p 3 as uid 64023: exit %d, stderr %q; want 111, %q", got.code, got.stderr, want)
	}
	got = run(t, []string{basePath}, "a\n", append(asOther, ours, "-p", "3", addcr)...)
	want = "softlimit: warning: raising limits below what addcr needs to start: process limit 3 to 8\n"
	if got.code != 0 || got.stdout != "a\r\n" || got.stderr != want {
		t.Errorf("our softlimit -p 3 as uid 64023: exit %d, stdout %q, stderr %q; want 0, %q", got.code, got.stdout, got.stderr, want)
	}
}
