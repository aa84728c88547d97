package tcpserver

import (
	"os"
	"testing"
)

// TestCompatPrivileges: after -u and -g (or -U with $UID and $GID) the
// program runs as that user and group, with no supplementary groups left
// from root, under Debian's tcpserver and ours alike.
func TestCompatPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing user needs root")
	}
	child := []string{"sh", "-c", "echo uid=$(id -u) gid=$(id -g) groups=$(id -G)"}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"-u -g", []string{"-u", "65534", "-g", "65533"}, nil, "uid=65534 gid=65533 groups=65533\n"},
		{"-U", []string{"-U"}, []string{"UID=65532", "GID=65531"}, "uid=65532 gid=65531 groups=65531\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var outs []string
			for _, bin := range []string{peerOrSkip(t), ours(t)} {
				args := append(append([]string{"-RHl0"}, tc.args...), "127.0.0.1", "0")
				srv := startServer(t, bin, baseEnv(tc.env...), append(args, child...)...)
				outs = append(outs, talk(t, "", "127.0.0.1", srv.Port, ""))
			}
			if outs[0] != tc.want || outs[1] != tc.want {
				t.Errorf("Debian's child printed %q, ours %q; want %q", outs[0], outs[1], tc.want)
			}
		})
	}
}
