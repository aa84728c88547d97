package tcpserver

import (
	"os/exec"
	"testing"
)

// TestCompatNoDelay: -D sets TCP_NODELAY on the program's socket, -d (the
// default) leaves it off, under Debian's tcpserver and ours.
func TestCompatNoDelay(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to read the socket option")
	}
	child := []string{python, "-c", "import socket; s = socket.socket(fileno=0); print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0)"}
	for _, tc := range []struct{ flag, want string }{{"-D", "True\n"}, {"-d", "False\n"}} {
		for _, bin := range []string{peerOrSkip(t), ours(t)} {
			srv := startServer(t, bin, baseEnv(), append([]string{"-RHl0", tc.flag, "127.0.0.1", "0"}, child...)...)
			if got := talk(t, "", "127.0.0.1", srv.Port, ""); got != tc.want {
				t.Errorf("%s %s: child saw TCP_NODELAY %q, want %q", bin, tc.flag, got, tc.want)
			}
		}
	}
}
