package remote

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/ipme"
)

// Config is what qmail-remote reads from the control directory.
type Config struct {
	HeloHost        string          // control/helohost, default control/me
	TimeoutConnect  time.Duration   // control/timeoutconnect, default 60 s
	TimeoutRemote   time.Duration   // control/timeoutremote, default 1200 s
	SMTPRoutes      Routes          // control/smtproutes
	QMTPRoutes      Routes          // control/qmtproutes
	TLS             TLSDestinations // control/tlsdestinations
	SMTPPort        int             // control/smtpport, default 25
	OutgoingIP      netip.Addr      // control/outgoingip, optional
	MoreIPMe        []netip.Addr    // control/moreipme: more addresses that are this host
	DefaultQMTPPort int

	Policies  PolicyTable // control/tlspolicy: DANE and MTA-STS per destination
	STSCAFile string      // control/mtastsca.pem, if it exists: MTA-STS's trust anchors
	STSPort   int         // control/mtastsport, default 443
}

// LoadConfig reads the control files. Any error is qmail's "Unable to read
// control files".
func LoadConfig(dir control.Dir) (*Config, error) {
	c := &Config{DefaultQMTPPort: 209}
	var err error
	if c.HeloHost, err = helo(dir); err != nil {
		return nil, err
	}
	n, err := dir.Int("timeoutconnect", 60)
	if err != nil {
		return nil, err
	}
	c.TimeoutConnect = time.Duration(n) * time.Second
	if n, err = dir.Int("timeoutremote", 1200); err != nil {
		return nil, err
	}
	c.TimeoutRemote = time.Duration(n) * time.Second
	if c.SMTPPort, err = dir.Int("smtpport", 25); err != nil {
		return nil, err
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		return nil, fmt.Errorf("control/smtpport: port %d out of range", c.SMTPPort)
	}
	for _, f := range []struct {
		name string
		dst  *Routes
	}{{"smtproutes", &c.SMTPRoutes}, {"qmtproutes", &c.QMTPRoutes}} {
		lines, err := dir.Lines(f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = ParseRoutes(lines)
	}
	lines, err := dir.Lines("tlsdestinations")
	if err != nil {
		return nil, err
	}
	c.TLS = ParseTLSDestinations(lines)
	ip, present, err := dir.Line("outgoingip", "")
	if err != nil {
		return nil, err
	}
	if present && ip != "" {
		if c.OutgoingIP, err = netip.ParseAddr(ip); err != nil {
			return nil, fmt.Errorf("control/outgoingip: %w", err)
		}
	}
	if c.MoreIPMe, err = ipme.ReadMore(dir); err != nil {
		return nil, err
	}
	if lines, err = dir.Lines("tlspolicy"); err != nil {
		return nil, err
	}
	if c.Policies, err = ParsePolicyTable(lines); err != nil {
		return nil, err
	}
	if c.STSPort, err = dir.Int("mtastsport", 443); err != nil {
		return nil, err
	}
	if c.STSPort < 1 || c.STSPort > 65535 {
		return nil, fmt.Errorf("control/mtastsport: port %d out of range", c.STSPort)
	}
	if ca := filepath.Join(dir.Path, "mtastsca.pem"); fileExists(ca) {
		c.STSCAFile = ca
	}
	return c, nil
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func helo(dir control.Dir) (string, error) {
	h, ok, err := dir.Line("helohost", "")
	if err != nil || ok {
		return h, err
	}
	return dir.Required("me")
}
