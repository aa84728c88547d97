package tcpserver

import (
	"syscall"
	"testing"
	"time"
)

// TestQuiet: -q prints nothing, not even the warning for a dropped
// connection; -Q (the default) prints the warning but no status lines; -v
// prints both.
func TestQuiet(t *testing.T) {
	const warning = "tcpserver: warning: dropping connection, unable to run /nonexistent/prog: file does not exist\n"
	for _, tc := range []struct{ flag, want string }{
		{"-q", ""},
		{"-Q", warning},
		{"-v", "tcpserver: status: 0/40\ntcpserver: status: 1/40\n" + warning + "tcpserver: status: 0/40\n"},
	} {
		srv := startServer(t, ours(t), baseEnv(), "-RHl0", tc.flag, "127.0.0.1", "0", "/nonexistent/prog")
		talk(t, "", "127.0.0.1", srv.Port, "")
		// The connection is closed before the slot is given back and its
		// status line printed: wait for the whole record before stopping.
		for deadline := time.Now().Add(10 * time.Second); srv.Log() != tc.want && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		srv.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-srv.StderrDone:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: stderr never ended", tc.flag)
		}
		if got := srv.Log(); got != tc.want {
			t.Errorf("%s: stderr %q, want %q", tc.flag, got, tc.want)
		}
	}
}
