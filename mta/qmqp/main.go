package qmqp

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
)

// QmqpdMain is qmail-qmqpd: one QMQP packet on descriptors 0 and 1.
func QmqpdMain(inv *cli.Invocation) int {
	runtime.GOMAXPROCS(1)
	home := qmailhome.Dir(inv.Getenv)
	timeout, err := control.Open(home).Int("timeoutsmtpd", int(DefaultIOTimeout/time.Second))
	if err != nil {
		return inv.Fatal(ServerExitTemporary, "unable to read controls: %v", err)
	}
	cfg := &ServerConfig{
		QueueProgram: filepath.Join(home, "bin", "qmail-queue"),
		QueueEnv:     inv.Env,
		Timeout:      time.Duration(timeout) * time.Second,
		ConnTimeout:  ConnectionLimit,
	}
	if v, ok := inv.Getenv("QMAILQUEUE"); ok && v != "" {
		cfg.QueueProgram = v
	}
	cfg.LocalHost, cfg.RemoteIP, cfg.RemoteHost, cfg.RemoteInfo = Identify(inv.Getenv)
	in, out := cli.NetStdio()
	return ServerExit(inv, Serve(cfg, in, out))
}

// QmqpcMain is qmail-qmqpc: qmail-queue's interface (message on
// descriptor 0, envelope on descriptor 1), handing the message to the
// first QMQP server of control/qmqpservers that takes the connection.
// It prints nothing; its exit code says what happened.
func QmqpcMain(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		return ExitHome
	}
	ctl := control.Open(home)
	if _, present, err := ctl.Line("qmqpservers", ""); err != nil || !present {
		return ExitControl
	}
	servers, err := ctl.Lines("qmqpservers")
	if err != nil {
		return ExitControl
	}
	msg, err := ReadMessage(inv.Stdin)
	if err != nil {
		if errors.Is(err, ErrSpool) {
			return ExitWrite
		}
		return ExitRead
	}
	defer msg.Close()
	sender, rcpts, err := ReadEnvelope(inv.Stdout)
	switch {
	case errors.Is(err, ErrEnvelope):
		return ExitFormat
	case errors.Is(err, ErrEnvelopeLong):
		return ExitEnvLong
	case err != nil:
		return ExitRead
	}
	p := NewPacket(msg.Size(), sender, rcpts)
	last := ExitControl
	for _, line := range servers {
		addr, ok := ParseServer(line)
		if !ok {
			continue
		}
		reply, err := Send(addr, p, msg.Reader(), msg.Size())
		var ce *ConnError
		switch {
		case errors.As(err, &ce):
			last = ExitConnRefused
			if ce.Timeout {
				last = ExitConnTimeout
			}
			continue
		case errors.Is(err, ErrMessageRead):
			return ExitRead
		case err != nil:
			return ExitComm
		}
		return reply.ExitCode()
	}
	return last
}
