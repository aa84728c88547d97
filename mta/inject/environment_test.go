package inject

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// qmail-inject(8): QMAILDEFAULTHOST, QMAILDEFAULTDOMAIN, QMAILPLUSDOMAIN
// and QMAILIDHOST override the controls defaulthost, defaultdomain,
// plusdomain and idhost; QMAILHOST (else MAILHOST) is only the host of
// the From field qmail-inject makes and of the default envelope sender
// (qmail-inject.c: mailhost, mailrhost), and QMAILSHOST the sender's. An
// address without a host still gets defaulthost. Each case runs the
// built qmail-inject with a stand-in qmail-queue and compares the
// envelope and the fields qmail-inject wrote.
func TestControlVariables(t *testing.T) {
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{
		"control/me":            "me.example\n",
		"control/defaulthost":   "dh.example\n",
		"control/defaultdomain": "dd.example\n",
		"control/plusdomain":    "pd.example\n",
		"control/idhost":        "id.example\n",
	})
	q := testbin.StandInQueue(t, filepath.Join(home, "bin"))
	inject := testbin.Path(t, "qmail-inject")
	const message = "To: bob, carol@x, dave@y+\nSubject: s\n\nbody\n"
	msgid := regexp.MustCompile(`\nMessage-ID: <\d{14}\.\d+\.qmail@([^>]*)>\n`)
	tests := []struct {
		why      string
		env      []string
		envelope string // what the stand-in got
		to       string // the To field as written
		from     string
		idhost   string
	}{
		{"the controls", nil,
			"Fjoe@dh.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@dh.example", "id.example"},
		{"QMAILDEFAULTHOST overrides defaulthost", []string{"QMAILDEFAULTHOST=envdh.example"},
			"Fjoe@envdh.example\x00Tbob@envdh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@envdh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@envdh.example", "id.example"},
		{"QMAILDEFAULTDOMAIN overrides defaultdomain", []string{"QMAILDEFAULTDOMAIN=envdd.example"},
			"Fjoe@dh.example\x00Tbob@dh.example\x00Tcarol@x.envdd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.envdd.example, dave@y.pd.example", "From: joe@dh.example", "id.example"},
		{"QMAILPLUSDOMAIN overrides plusdomain", []string{"QMAILPLUSDOMAIN=envpd.example"},
			"Fjoe@dh.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.envpd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.envpd.example", "From: joe@dh.example", "id.example"},
		{"QMAILIDHOST overrides idhost", []string{"QMAILIDHOST=envid.example"},
			"Fjoe@dh.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@dh.example", "envid.example"},
		{"QMAILHOST sets From and the sender, not defaulthost", []string{"QMAILHOST=mh.example"},
			"Fjoe@mh.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh.example", "id.example"},
		{"MAILHOST when QMAILHOST is not set", []string{"MAILHOST=mh2.example"},
			"Fjoe@mh2.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh2.example", "id.example"},
		{"QMAILHOST before MAILHOST", []string{"MAILHOST=mh2.example", "QMAILHOST=mh.example"},
			"Fjoe@mh.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh.example", "id.example"},
		{"a dotless QMAILHOST gets defaultdomain, one ending in + plusdomain", []string{"QMAILHOST=mh+", "QMAILSHOST=sh"},
			"Fjoe@sh.dd.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh.pd.example", "id.example"},
		{"QMAILSHOST and QMAILSUSER set the sender only", []string{"QMAILHOST=mh.example", "QMAILSHOST=sh.example", "QMAILSUSER=bounces"},
			"Fbounces@sh.example\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh.example", "id.example"},
		{"QMAILDEFAULTHOST with QMAILHOST", []string{"QMAILDEFAULTHOST=envdh.example", "QMAILHOST=mh.example"},
			"Fjoe@mh.example\x00Tbob@envdh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@envdh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh.example", "id.example"},
		{"the VERP letter r keeps QMAILHOST's host", []string{"QMAILHOST=mh.example", "QMAILINJECT=r"},
			"Fjoe-@mh.example-@[]\x00Tbob@dh.example\x00Tcarol@x.dd.example\x00Tdave@y.pd.example\x00\x00",
			"To: bob@dh.example, carol@x.dd.example, dave@y.pd.example", "From: joe@mh.example", "id.example"},
	}
	for _, tt := range tests {
		cmd := exec.Command(inject)
		cmd.Env = append([]string{"QMAILHOME=" + home, "PATH=/bin:/usr/bin", "USER=joe"}, tt.env...)
		cmd.Stdin = strings.NewReader(message)
		if _, errs, code := testbin.Run(t, cmd); code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.why, code, errs)
		}
		got := q.Queued(t)
		if len(got) != 1 {
			t.Fatalf("%s: %d runs of qmail-queue", tt.why, len(got))
		}
		msg, envelope, _ := strings.Cut(got[0], "|")
		if envelope != tt.envelope {
			t.Errorf("%s: envelope\n %q\nwant\n %q", tt.why, envelope, tt.envelope)
		}
		for _, line := range []string{tt.to, tt.from} {
			if !strings.Contains("\n"+msg, "\n"+line+"\n") {
				t.Errorf("%s: no %q in\n%s", tt.why, line, msg)
			}
		}
		if m := msgid.FindStringSubmatch("\n" + msg); m == nil || m[1] != tt.idhost {
			t.Errorf("%s: Message-ID host %q, want %q, in\n%s", tt.why, m, tt.idhost, msg)
		}
		clearQueued(t, q)
	}
}

func clearQueued(t *testing.T, q *testbin.QueueStandIn) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(q.Dir, "q.*"))
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
}
