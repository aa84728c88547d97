// Command sslserver-bench measures TLS handshakes per second of quail's
// sslserver on loopback: the server runs a trivial program ("true") for
// each connection, and clients make full handshakes (no session
// resumption) one at a time and 20 at a time. It prints handshakes per
// second and the server's peak resident memory. Debian ships no
// ucspi-ssl, so there is no reference figure beside it; tcpserver's rate
// (bench/tcpserver) is the ceiling.
//
//	go run ./bench/sslserver -bin ./bin
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding quail's sslserver")
	dur := flag.Duration("time", 5*time.Second, "how long each measurement runs")
	flag.Parse()
	if err := run(*bin, *dur); err != nil {
		fmt.Fprintf(os.Stderr, "sslserver-bench: fatal: %v\n", err)
		os.Exit(111)
	}
}

func run(bin string, dur time.Duration) error {
	dir, err := os.MkdirTemp("", "sslserver-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cert, err := writeCert(dir)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, "sslserver"), "-1", "-RHl0", "-c", "100", "127.0.0.1", "0", "true")
	cmd.Env = []string{"PATH=/bin:/usr/bin", "CERTFILE=" + cert}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("sslserver did not start: %v", err)
	}
	addr := "127.0.0.1:" + strings.TrimSpace(line)
	for _, conc := range []int{1, 20} {
		n, errs := measure(addr, conc, dur)
		fmt.Printf("sslserver: %d concurrent: %.0f handshakes/s (%d failed)\n", conc, float64(n)/dur.Seconds(), errs)
	}
	fmt.Printf("sslserver: peak resident memory %s\n", peakRSS(cmd.Process.Pid))
	return nil
}

func measure(addr string, conc int, dur time.Duration) (int64, int64) {
	var done, failed atomic.Int64
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := &tls.Config{InsecureSkipVerify: true, ClientSessionCache: nil}
			for time.Now().Before(stop) {
				c, err := tls.Dial("tcp", addr, cfg)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, c)
				c.Close()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load(), failed.Load()
}

func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}

func writeCert(dir string) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench.test"},
		DNSNames: []string{"bench.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "cert.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	b = append(b, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})...)
	return p, os.WriteFile(p, b, 0600)
}
