package tcpserver

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// TestSlowLookupDoesNotBlock: while the PTR lookup for one client gets no
// answer at all, another client is accepted, looked up and served.
func TestSlowLookupDoesNotBlock(t *testing.T) {
	srv := dnstest.Start(t, compatZone)
	srv.Fail("2.0.0.127.in-addr.arpa", dnstest.Timeout)
	ts := startServer(t, ours(t), baseEnv("DNSCACHEIP="+srv.Addr), "-vRl", "here", "-c", "5", "127.0.0.1", "0", "env")
	stalled, err := dialFrom("127.0.0.2", "127.0.0.1", ts.Port)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	// The stalled connection's lookup has started once its query arrived.
	if !testbin.Eventually(20*time.Second, func() bool { return srv.Asked("2.0.0.127.in-addr.arpa", "PTR") > 0 }) {
		t.Fatalf("the first client's lookup never reached the DNS server; log:\n%s", ts.Log())
	}
	out := normalEnv(talk(t, "", "127.0.0.1", ts.Port, ""))
	if want := "TCPREMOTEHOST=one.test"; !containsLine(out, want) {
		t.Fatalf("second client, served while the first waits for DNS, saw:\n%s", out)
	}
	if strings.Contains(ts.Log(), "127.0.0.2") {
		t.Fatalf("the stalled client was served before its lookup ended:\n%s", ts.Log())
	}
}

func containsLine(text, line string) bool {
	return slices.Contains(strings.Split(text, "\n"), line)
}
