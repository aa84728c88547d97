package rules

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestCompatFormatIP binds clients to IPv6 addresses in a private network
// namespace (nothing leaves it) and checks that Debian's tcpserver puts the
// same text in TCPREMOTEIP as FormatIP gives. It needs root and unshare(1).
func TestCompatFormatIP(t *testing.T) {
	server, client := testbin.Peer(t, "tcpserver"), testbin.Peer(t, "tcpclient")
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private network namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare(1)")
	}
	ipTool, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip(8)")
	}
	addrs := []string{
		"2001:db8:1:1:1:1:0:1", "1:0:1:0:1:0:1:1", "1:0:1:0:0:1:1:1", "2001:0:0:1:0:0:1:1",
		"2001:db8:1:1:1:0:0:0", "0:1:1:1:1:1:1:1", "2001:db8:abc:0:0:0:0:1", "64:ff9b::1.2.3.4", "::2",
	}
	dir := t.TempDir()
	script := `set -e
ip=$1 server=$2 client=$3 dir=$4; shift 4
$ip link set lo up
$ip -6 addr add 2001:db8:ffff::1/128 dev lo nodad
for a in "$@"; do $ip -6 addr add $a/128 dev lo nodad; done
$server -1 -RHl0 2001:db8:ffff::1 0 sh -c 'echo "$TCPREMOTEIP"' > $dir/port &
i=0; while [ ! -s $dir/port ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
port=$(cat $dir/port)
for a in "$@"; do $client -RHl0 -i $a 2001:db8:ffff::1 $port sh -c 'cat <&6'; done
kill $!
`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := append([]string{"-n", "sh", "-c", script, "sh", ipTool, server, client, dir}, addrs...)
	out, err := exec.CommandContext(ctx, unshare, args...).CombinedOutput()
	if err != nil {
		t.Skipf("cannot run in a private network namespace: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(addrs) {
		t.Fatalf("got %d answers for %d addresses: %q", len(lines), len(addrs), out)
	}
	for i, a := range addrs {
		if got := FormatIP(netip.MustParseAddr(a)); got != lines[i] {
			t.Errorf("%s: Debian's tcpserver says %s, FormatIP %s", a, lines[i], got)
		}
	}
}
