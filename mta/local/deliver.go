package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/maildir"
	"github.com/quail-mta/quail/mta/mbox"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/srs"
)

// Delivery is one run of qmail-local: its eight arguments, -n or -N, and
// what it works with.
type Delivery struct {
	User, Home, Local, Dash, Ext, Host, Sender string
	DefaultDelivery                            string // qmail-start's argument, e.g. ./Maildir/
	DoIt                                       bool   // false for -n: print the instructions instead

	QmailHome      string    // where bin/qmail-queue is
	Env            []string  // inherited environment
	Msg            *os.File  // the message; rewound before each delivery
	Stdout, Stderr io.Writer // the report
	Now            time.Time // for the From_ line

	env          []string
	dtline       []byte
	rpline       []byte
	ufline       string
	newSender    string
	files, progs int
	recips       []string
	qp           int
}

// Lines returns the Delivered-To and Return-Path lines qmail-local adds,
// newlines included: "Delivered-To: local@host" and "Return-Path:
// <sender>" with the sender's local part quoted if needed, and any
// newline inside them made '_'.
func Lines(local, host, sender string) (dtline, rpline []byte) {
	dt := strings.ReplaceAll("Delivered-To: "+local+"@"+host, "\n", "_") + "\n"
	rp := strings.ReplaceAll("Return-Path: <"+QuoteAddress(sender), "\n", "_") + ">\n"
	return []byte(dt), []byte(rp)
}

// Run performs the delivery and writes the success report. A nil result
// means success.
func (d *Delivery) Run() *failure {
	if f := d.checkHome(); f != nil {
		return f
	}
	d.dtline, d.rpline = Lines(d.Local, d.Host, d.Sender)
	d.ufline = mbox.FromLine(d.Sender, d.Now)
	env := d.Env
	set := func(k, v string) { env = cli.Setenv(env, k, v) }
	set("HOST", d.Host)
	set("HOME", d.Home)
	set("USER", d.User)
	set("LOCAL", d.Local)
	set("RECIPIENT", d.Local+"@"+d.Host)
	set("DTLINE", string(d.dtline))
	if d.DoIt {
		if f := d.checkLoop(); f != nil {
			return f
		}
	}
	set("SENDER", d.Sender)
	set("RPLINE", string(d.rpline))
	set("UFLINE", d.ufline)
	ext := d.Ext
	for _, k := range []string{"EXT", "EXT2", "EXT3", "EXT4"} {
		set(k, ext)
		if i := strings.IndexByte(ext, '-'); i >= 0 {
			ext = ext[i+1:]
		} else {
			ext = ""
		}
	}
	host := d.Host
	for _, k := range []string{"HOST2", "HOST3", "HOST4"} {
		if i := strings.LastIndexByte(host, '.'); i >= 0 {
			host = host[:i]
		}
		set(k, host)
	}

	qm, found, f := findDotQmail(d.Home, d.Dash, d.Ext)
	if f != nil {
		return f
	}
	if !found && d.Dash != "" {
		return permf("Sorry, no mailbox here by that name. (#5.1.1)")
	}
	if found && qm.HasDefault {
		set("DEFAULT", qm.Default)
	}
	newSender, f := d.forwardSender()
	if f != nil {
		return f
	}
	d.newSender = newSender
	set("NEWSENDER", newSender)
	d.env = env

	data, forwardOnly := qm.Data, qm.ForwardOnly
	if len(data) == 0 {
		data, forwardOnly = []byte(d.DefaultDelivery), false
	}
	ins, err := Parse(data)
	if err != nil {
		return tempf("Uh-oh: first line of .qmail file is blank. (#4.2.1)")
	}
	if f := d.follow(ins, forwardOnly); f != nil {
		return f
	}
	if len(d.recips) > 0 && d.DoIt {
		if f := d.forward(); f != nil {
			return f
		}
	}
	fmt.Fprintf(d.Stdout, "did %d+%d+%d\n", d.files, len(d.recips), d.progs)
	if d.qp != 0 {
		fmt.Fprintf(d.Stdout, "qp %d\n", d.qp)
	}
	return nil
}

func (d *Delivery) checkHome() *failure {
	st, err := os.Stat(d.Home)
	if err != nil {
		return tempf("Unable to switch to %s: %s. (#4.3.0)", d.Home, djberr.QmailText(err))
	}
	if !st.IsDir() {
		return tempf("Unable to switch to %s: not a directory. (#4.3.0)", d.Home)
	}
	if st.Mode().Perm()&WritableMask != 0 {
		return tempf("Uh-oh: home directory is writable. (#4.7.0)")
	}
	if st.Mode()&os.ModeSticky != 0 {
		if d.DoIt {
			return tempf("Home directory is sticky: user is editing his .qmail file. (#4.2.1)")
		}
		fmt.Fprintln(d.Stderr, "Warning: home directory is sticky.")
	}
	return nil
}

func (d *Delivery) rewind() *failure {
	if _, err := d.Msg.Seek(0, io.SeekStart); err != nil {
		return tempf("Unable to rewind message. (#4.3.0)")
	}
	return nil
}

func (d *Delivery) checkLoop() *failure {
	if f := d.rewind(); f != nil {
		return f
	}
	loop, err := HasLine(d.Msg, d.dtline)
	if err != nil {
		return tempf("Unable to read message: %s. (#4.3.0)", djberr.QmailText(err))
	}
	if loop {
		return permf("This message is looping: it already has my Delivered-To line. (#5.4.6)")
	}
	return nil
}

// forwardSender is NEWSENDER (dot-qmail(5)): local-owner@host when
// .qmail-ext-owner exists, the VERP form local-owner-@host-@[] when
// .qmail-ext-owner-default exists too; the sender itself otherwise and
// always for a bounce (sender empty or #@[]).
func (d *Delivery) forwardSender() (string, *failure) {
	if d.Sender == "" || d.Sender == "#@[]" {
		return d.Sender, nil
	}
	base := ".qmail" + d.Dash + SafeExt(d.Ext)
	owner, f := exists(d.Home, base+"-owner")
	if f != nil || !owner {
		return d.Sender, f
	}
	verp, f := exists(d.Home, base+"-owner-default")
	if f != nil {
		return "", f
	}
	if verp {
		return d.Local + "-owner-@" + d.Host + "-@[]", nil
	}
	return d.Local + "-owner@" + d.Host, nil
}

// follow carries out the instructions in order, collecting forwards for
// the end. A program's exit code 99 stops it, keeping earlier forwards.
func (d *Delivery) follow(ins []Instruction, forwardOnly bool) *failure {
	for _, in := range ins {
		switch in.Kind {
		case Comment:
		case ListOnly:
			forwardOnly = true
		case Mbox, Maildir:
			d.files++
			if forwardOnly {
				return tempf("Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)")
			}
			if !d.DoIt {
				fmt.Fprintf(d.Stdout, "%s %s\n", in.Kind, in.Arg)
				continue
			}
			var f *failure
			if in.Kind == Maildir {
				f = d.maildir(in.Arg)
			} else {
				f = d.mbox(in.Arg)
			}
			if f != nil {
				return f
			}
		case Program:
			d.progs++
			if forwardOnly {
				return tempf("Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)")
			}
			if !d.DoIt {
				fmt.Fprintf(d.Stdout, "program %s\n", in.Arg)
				continue
			}
			stop, f := d.program(in.Arg)
			if f != nil {
				return f
			}
			if stop {
				return nil
			}
		case Forward:
			d.recips = append(d.recips, in.Arg)
			if !d.DoIt {
				fmt.Fprintf(d.Stdout, "forward %s\n", in.Arg)
			}
		}
	}
	return nil
}

// path makes a .qmail path (relative to the home directory) usable.
func (d *Delivery) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.Home, p)
}

func (d *Delivery) maildir(dir string) *failure {
	if f := d.rewind(); f != nil {
		return f
	}
	prefix := append(append([]byte{}, d.rpline...), d.dtline...)
	_, err := maildir.Deliver(d.path(dir), prefix, d.Msg)
	var re *maildir.ReadError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, maildir.ErrNotMaildir):
		return tempf("Unable to chdir to maildir. (#4.2.1)")
	case errors.As(err, &re):
		return tempf("Unable to read message. (#4.3.0)")
	}
	return tempf("Temporary error on maildir delivery. (#4.3.0)")
}

func (d *Delivery) mbox(file string) *failure {
	if f := d.rewind(); f != nil {
		return f
	}
	prefix := append(append([]byte{}, d.rpline...), d.dtline...)
	err := mbox.Deliver(d.path(file), d.ufline, prefix, d.Msg)
	var me *mbox.Error
	var re *mbox.ReadError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mbox.ErrLockTimeout):
		return tempf("File has been locked for 30 seconds straight. (#4.3.0)")
	case errors.As(err, &re):
		return tempf("Unable to read message: %s. (#4.3.0)", djberr.QmailText(re.Err))
	case errors.As(err, &me) && me.Op == "open":
		return tempf("Unable to open %s: %s. (#4.2.1)", file, djberr.QmailText(me.Err))
	case errors.As(err, &me):
		return tempf("Unable to %s %s: %s. (#4.3.0)", me.Op, file, djberr.QmailText(me.Err))
	}
	return tempf("Unable to write %s: %s. (#4.3.0)", file, djberr.QmailText(err))
}

// PermanentExit lists the delivery program exit codes qmail-command(8)
// calls hard errors besides 100.
var PermanentExit = map[int]bool{64: true, 65: true, 70: true, 76: true, 77: true, 78: true, 100: true, 112: true}

// program runs "sh -c command" in the home directory with the message on
// its standard input and the report as its output. stop is true for exit
// code 99.
func (d *Delivery) program(command string) (stop bool, f *failure) {
	if f := d.rewind(); f != nil {
		return false, f
	}
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = d.Home
	cmd.Env = d.env
	cmd.Stdin = d.Msg
	cmd.Stdout = d.Stdout
	cmd.Stderr = d.Stderr
	if err := cmd.Start(); err != nil {
		return false, tempf("Unable to run /bin/sh: %s. (#4.3.0)", djberr.QmailText(err))
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	code := 0
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		code = ee.ExitCode()
	case errors.As(err, &ee):
		return false, tempf("Aack, child crashed. (#4.3.0)")
	default:
		return false, tempf("Unable to run /bin/sh: %s. (#4.3.0)", djberr.QmailText(err))
	}
	switch {
	case code == 0:
		return false, nil
	case code == 99:
		return true, nil
	case PermanentExit[code]:
		return false, &failure{ExitPermanent, ""}
	}
	return false, &failure{ExitTemporary, ""}
}

func (d *Delivery) forward() *failure {
	if f := d.rewind(); f != nil {
		return f
	}
	in := qqueue.Injection{
		Home:    d.QmailHome,
		Program: qqueue.Program(func(k string) (string, bool) { return cli.Lookup(d.env, k) }),
		Env:     d.env,
		Stderr:  d.Stderr,
	}
	// control/srsdomains: a forward leaves with an SRS sender of this
	// domain, so that SPF at the next hop passes and a bounce finds its
	// way back (srsreverse(8)).
	sender, err := srs.ForwardSender(control.Open(d.QmailHome), d.Host, d.newSender, d.Now)
	if err != nil {
		return tempf("Unable to read controls: %s. (#4.3.0)", djberr.QmailText(err))
	}
	if sender != d.newSender {
		fmt.Fprintf(d.Stdout, "srs %s\n", sender)
	}
	r := in.Run(d.dtline, d.Msg, sender, d.recips)
	d.qp = r.Pid
	if r.OK() {
		return nil
	}
	code := ExitTemporary
	if r.Permanent() {
		code = ExitPermanent
	}
	return &failure{code, "Unable to forward message: " + r.Reason() + "."}
}
