package cluster

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"golang.org/x/sys/unix"
)

// network is a set of network namespaces made for one test: a switch
// namespace holding the bridge br0 (and the bridge's address, where the
// test's DNS server listens), and one namespace per host, each joined to
// the bridge by a veth pair whose host end is eth0. Every name starts
// with a prefix of the test process's pid and random bytes, so that
// namespaces left by a crashed earlier run (or made by a run beside this
// one) cannot collide with these; everything is removed when the test
// ends, failed or not.
type network struct {
	t      *testing.T
	ip     string // iproute2's ip
	prefix string
	sw     string // the switch namespace
	hosts  []string
}

// Subnet is the hosts' network: part of 198.18.0.0/15 (RFC 2544's
// benchmarking range), which nothing routes; the bridge has .1.
const (
	subnet   = "198.18.0."
	bridgeIP = subnet + "1"
)

// newNetwork makes the switch namespace and its bridge, or skips the
// test with the reason when this machine cannot make network
// namespaces (not root, no iproute2, a kernel or container that refuses).
func newNetwork(t *testing.T) *network {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CI runs the test as root)")
	}
	ip := ""
	for _, p := range []string{"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"} {
		if _, err := os.Stat(p); err == nil {
			ip = p
			break
		}
	}
	if ip == "" {
		if os.Getenv("QUAIL_REQUIRE_PEERS") == "1" {
			t.Fatal("iproute2's ip is not installed (QUAIL_REQUIRE_PEERS=1)")
		}
		t.Skip("iproute2's ip is not installed")
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	n := &network{t: t, ip: ip, prefix: fmt.Sprintf("quail-%d-%s-", os.Getpid(), hex.EncodeToString(rnd[:]))}
	n.sw = n.prefix + "switch"
	if out, err := exec.Command(ip, "netns", "add", n.sw).CombinedOutput(); err != nil {
		t.Skipf("this machine cannot make network namespaces: ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(n.remove)
	n.must("-n", n.sw, "link", "set", "lo", "up")
	n.must("-n", n.sw, "link", "add", "br0", "type", "bridge")
	n.must("-n", n.sw, "addr", "add", bridgeIP+"/24", "dev", "br0")
	n.must("-n", n.sw, "link", "set", "br0", "up")
	return n
}

// must runs ip with args and fails the test if it fails.
func (n *network) must(args ...string) {
	n.t.Helper()
	if out, err := exec.Command(n.ip, args...).CombinedOutput(); err != nil {
		n.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// addHost makes the namespace of a host with address addr on eth0,
// plugged into the bridge through the port "p-"+name.
func (n *network) addHost(name, addr string) string {
	n.t.Helper()
	ns := n.prefix + name
	n.must("netns", "add", ns)
	n.hosts = append(n.hosts, ns)
	n.must("-n", ns, "link", "set", "lo", "up")
	n.must("-n", n.sw, "link", "add", "p-"+name, "type", "veth", "peer", "name", "eth0", "netns", ns)
	n.must("-n", n.sw, "link", "set", "p-"+name, "master", "br0", "up")
	n.must("-n", ns, "addr", "add", addr+"/24", "dev", "eth0")
	n.must("-n", ns, "link", "set", "eth0", "up")
	return ns
}

// unplug takes a host's bridge port down, as a pulled cable: its
// address stays, nothing reaches it or leaves it. plug undoes it.
func (n *network) unplug(name string) { n.must("-n", n.sw, "link", "set", "p-"+name, "down") }
func (n *network) plug(name string)   { n.must("-n", n.sw, "link", "set", "p-"+name, "up") }

// pids lists the processes in namespace ns.
func (n *network) pids(ns string) []int {
	out, _ := exec.Command(n.ip, "netns", "pids", ns).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// kill sends SIGKILL to every process in namespace ns, as a crash of that
// host, and waits (at most 20 s) until none is left.
func (n *network) kill(ns string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		pids := n.pids(ns)
		if len(pids) == 0 || len(pids) == 1 && pids[0] == os.Getpid() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v still in %s", pids, ns)
		}
		for _, p := range pids {
			if p != os.Getpid() {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remove kills what is left in the namespaces and deletes them.
func (n *network) remove() {
	for _, ns := range append(n.hosts, n.sw) {
		if err := n.kill(ns); err != nil {
			n.t.Errorf("cleaning up: %v", err)
		}
		if out, err := exec.Command(n.ip, "netns", "del", ns).CombinedOutput(); err != nil {
			n.t.Errorf("ip netns del %s: %v: %s", ns, err, bytes.TrimSpace(out))
		}
	}
}

// command is name with args run inside namespace ns (ip netns exec).
func (n *network) command(ns, name string, args ...string) *exec.Cmd {
	return exec.Command(n.ip, append([]string{"netns", "exec", ns, name}, args...)...)
}

// inside runs f on a thread that has joined namespace ns, so that the
// sockets f makes live there, and then moves the thread back. A thread
// that cannot go back is never given back to the runtime: it ends with
// its goroutine (or, being the main thread, stays parked), and the
// process as ip netns pids sees it (its main thread) could otherwise be
// counted in ns.
func (n *network) inside(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(home)
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		err = f()
		if unix.Setns(home, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// listening reports whether addr takes a TCP connection, tried from the
// switch namespace.
func (n *network) listening(addr string) bool { return n.insideListening(n.sw, addr) }

// insideListening is listening tried from namespace ns.
func (n *network) insideListening(ns, addr string) bool {
	return n.inside(ns, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}) == nil
}

// dns starts the test's DNS server with zone on the bridge's address,
// port 53 (the hosts' $DNSCACHEIP), until the test ends.
func (n *network) dns(zone string) {
	n.t.Helper()
	if err := n.inside(n.sw, func() error {
		_, err := dnstest.StartAt(n.t, bridgeIP+":53", zone)
		return err
	}); err != nil {
		n.t.Fatalf("DNS server on %s: %v", bridgeIP, err)
	}
}
