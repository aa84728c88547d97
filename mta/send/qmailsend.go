package send

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/spawn"
)

// The descriptors qmail-start gives qmail-send. The log goes to
// descriptor 2.
const (
	FdLspawnW = 3 // requests to qmail-lspawn
	FdLspawnR = 4 // its replies
	FdRspawnW = 5 // requests to qmail-rspawn
	FdRspawnR = 6 // its replies
	FdCleanW  = 7 // requests to qmail-clean
	FdCleanR  = 8 // its answers
)

// FdsEnv names the environment variable through which qmail-start tells
// qmail-send where its six descriptors are, in the order above, as
// comma-separated numbers; without it they are 3 to 8.
const FdsEnv = "QMAILSEND_FDS"

// QmailSend is qmail-send(8), run by qmail-start with its daemons on
// descriptors 3 to 8 (or those FdsEnv names).
func QmailSend(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	fds := []int{FdLspawnW, FdLspawnR, FdRspawnW, FdRspawnR, FdCleanW, FdCleanR}
	if v, ok := inv.Getenv(FdsEnv); ok {
		f := strings.Split(v, ",")
		if len(f) != len(fds) {
			return inv.Fatal(cli.ExitTemporary, "unable to read %s", FdsEnv)
		}
		for i := range f {
			n, err := strconv.Atoi(f[i])
			if err != nil || n < 0 {
				return inv.Fatal(cli.ExitTemporary, "unable to read %s", FdsEnv)
			}
			fds[i] = n
		}
	}
	// qmail's words, which name the trouble but not its cause.
	fatal := func(what string) int {
		inv.Stderr.Write([]byte(alertCannotStart + what + "\n"))
		return cli.ExitTemporary
	}
	cfg, err := ReadConfig(home)
	if err != nil {
		return fatal(startControls)
	}
	q, err := queue.Open(home)
	if err != nil {
		return fatal(startQueueDir)
	}
	mutex, err := os.OpenFile(q.SendMutex(), os.O_RDWR, 0)
	if err != nil {
		return fatal(startMutex)
	}
	defer mutex.Close()
	if err := syscall.Flock(int(mutex.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fatal(startRunning)
	}
	// qmail-start handed the pipes on without close-on-exec; the
	// programs qmail-send runs (qmail-queue for bounces) must not hold
	// them, or a daemon would not see qmail-send go away.
	for _, n := range fds {
		syscall.CloseOnExec(n)
	}
	fd := func(i int) *os.File { return os.NewFile(uintptr(fds[i]), "qmail-send pipe") }
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGALRM, syscall.SIGHUP, syscall.SIGTERM)
	// A reader that went away must show as a write error, not kill us.
	signal.Ignore(syscall.SIGPIPE)
	s := &Sender{
		Q: q, Home: home,
		Reload:    func() (*Config, error) { return ReadConfig(home) },
		QueueProg: spawn.Program(home, "qmail-queue"),
		QueueEnv:  cli.Unsetenv(inv.Env, FdsEnv),
	}
	err = s.Run(cfg, Links{
		Log:     inv.Stderr,
		LspawnW: fd(0), LspawnR: fd(1),
		RspawnW: fd(2), RspawnR: fd(3),
		CleanW: fd(4), CleanR: fd(5),
		Trigger: q.Trigger(), ToolFIFO: q.ToolFIFO(),
		Signals: sigs,
	})
	if err != nil {
		return cli.ExitTemporary
	}
	return 0
}
