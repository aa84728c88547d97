package postfix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/bench/internal/proc"
	"github.com/quail-mta/quail/bench/internal/smtpsend"
)

// Settings given in Options.Main replace ours instead of repeating them.
func TestMainCFOverride(t *testing.T) {
	in := &Instance{Dir: "/d", ConfigDir: "/d/conf", QueueDir: "/d/queue", Log: "/d/maillog"}
	cf := mainCF(in, "/d/data", Options{Main: map[string]string{"in_flow_delay": "0", "myhostname": "mx.test"}})
	if strings.Count(cf, "myhostname =") != 1 || !strings.Contains(cf, "myhostname = mx.test\n") {
		t.Errorf("myhostname not replaced once:\n%s", cf)
	}
	if !strings.Contains(cf, "in_flow_delay = 0\n") || !strings.Contains(cf, "queue_directory = /d/queue\n") {
		t.Errorf("settings missing:\n%s", cf)
	}
}

// The listener and its process limit are in master.cf only when asked.
func TestMasterCF(t *testing.T) {
	with := masterCF(&Instance{Addr: "127.0.0.1:2525"}, Options{SMTPD: true, SMTPDProcesses: 2100})
	if !strings.Contains(with, "127.0.0.1:2525 inet n - n - 2100 smtpd\n") {
		t.Errorf("no smtpd line:\n%s", with)
	}
	if without := masterCF(&Instance{}, Options{}); strings.Contains(without, " inet ") {
		t.Errorf("a listener without SMTPD:\n%s", without)
	}
}

// A started instance accepts a message over SMTP, delivers it into the
// Maildir, and leaves no process behind when stopped.
func TestStartDeliverStop(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	in, err := Start(dir, Options{SMTPD: true})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	master := in.MasterPID()
	if master <= 0 {
		t.Fatal("no master pid")
	}
	if err := send(in.Addr, in.Recipient); err != nil {
		t.Fatalf("%v%s", err, in.LogTail())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ents, _ := os.ReadDir(filepath.Join(in.Maildir, "new"))
		if len(ents) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages in new/ after 30 s%s", len(ents), in.LogTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	family, err := proc.Descendants(master)
	if err != nil {
		t.Fatal(err)
	}
	in.Stop()
	for _, p := range append(family, proc.Stat{PID: master}) {
		if alive(p.PID) {
			if s, err := proc.ReadStat(p.PID); err == nil && (p.Comm == "" || s.Comm == p.Comm) {
				t.Errorf("process %+v still running after Stop", s)
			}
		}
	}
}

func send(addr, to string) error {
	_, err := smtpsend.One(addr, "a@remote.test", to, []byte("Subject: t\r\n\r\nbody\r\n"))
	return err
}
