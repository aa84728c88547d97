package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quail-mta/quail/bench/internal/postfix"
	"github.com/quail-mta/quail/bench/internal/proc"
	"github.com/quail-mta/quail/bench/internal/quail"
)

// target is one mail system listening for SMTP on loopback.
type target struct {
	name     string
	addr     string
	rcpt     string
	newDir   string
	server   int                         // the process sessions hang below
	roots    []int                       // every process of the system is below one of these
	rootName []string                    // what runs below each root
	sessions func() ([]proc.Stat, error) // the processes serving sessions
	logs     func() string
	stop     func()
}

// startQuail builds a quail instance with tcpserver allowing limit
// sessions.
func (b *bench) startQuail(limit int) (*target, error) {
	dir, err := b.subdir("quail")
	if err != nil {
		return nil, err
	}
	in, err := quail.Start(dir, b.c.bin)
	if err != nil {
		return nil, err
	}
	stop := b.cl.Push(in.Stop)
	chain := []string{"qmail-smtpd"}
	var env []string
	name := "quail (tcpserver, qmail-smtpd)"
	if b.c.rblsmtpd {
		chain = []string{"rblsmtpd", "qmail-smtpd"}
		env = []string{"RBLSMTPD="}
		name = "quail (tcpserver, rblsmtpd, qmail-smtpd)"
	}
	if b.reuse > 0 {
		env = append(env, fmt.Sprintf("TCPSERVERREUSE=%d", b.reuse))
		name = strings.Replace(name, "tcpserver", fmt.Sprintf("tcpserver TCPSERVERREUSE=%d", b.reuse), 1)
	}
	srv, err := in.SMTPD(limit, env, chain...)
	if err != nil {
		stop()
		return nil, err
	}
	pid := srv.Cmd.Process.Pid
	return &target{
		name:     name,
		addr:     srv.Addr,
		rcpt:     in.Recipient,
		newDir:   filepath.Join(in.Maildir, "new"),
		server:   pid,
		roots:    []int{pid, in.SendPID()},
		rootName: []string{"tcpserver, qmail-smtpd, qmail-queue", "qmail-send, qmail-lspawn, qmail-local, qmail-clean"},
		sessions: func() ([]proc.Stat, error) { return proc.Descendants(pid) },
		logs: func() string {
			return tail(in.Log, "qmail-send log") + tail(srv.Log, "tcpserver log")
		},
		stop: stop,
	}, nil
}

// startPostfix starts a private Postfix whose smtpd allows limit
// sessions.
func (b *bench) startPostfix(limit int) (*target, error) {
	dir, err := b.subdir("postfix")
	if err != nil {
		return nil, err
	}
	in, err := postfix.Start(dir, postfix.Options{SMTPD: true, SMTPDProcesses: limit})
	if err != nil {
		return nil, err
	}
	stop := b.cl.Push(in.Stop)
	master := in.MasterPID()
	return &target{
		name:     "postfix (master, smtpd, cleanup, qmgr, virtual)",
		addr:     in.Addr,
		rcpt:     in.Recipient,
		newDir:   filepath.Join(in.Maildir, "new"),
		server:   master,
		roots:    []int{master},
		rootName: []string{"master and its daemons"},
		sessions: func() ([]proc.Stat, error) {
			kids, err := proc.Children(master)
			var smtpd []proc.Stat
			for _, k := range kids {
				if k.Comm == "smtpd" {
					smtpd = append(smtpd, k)
				}
			}
			return smtpd, err
		},
		logs: in.LogTail,
		stop: stop,
	}, nil
}

// tail returns the end of a log file under a heading.
func tail(path, what string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Sprintf("\n%s:\n%s", what, b)
}

// cpu is the processor time each root's tree has used so far.
func (t *target) cpu() ([]time.Duration, error) {
	var out []time.Duration
	for _, pid := range t.roots {
		c, err := proc.TreeCPU(pid)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
