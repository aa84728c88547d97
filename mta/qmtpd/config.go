package qmtpd

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/qmqp"
	"github.com/quail-mta/quail/mta/rcpthosts"
)

// Config is what qmail-qmtpd reads at start.
type Config struct {
	Rcpthosts    *rcpthosts.Hosts           // rcpthosts and morercpthosts.cdb, as qmail-smtpd reads them
	RelayClient  *string                    // $RELAYCLIENT: relaying allowed, value appended to each recipient
	Databytes    int64                      // control/databytes or $DATABYTES; 0 = no limit
	QueueProgram string                     // $QMAILQUEUE or QMAILHOME/bin/qmail-queue
	QueueEnv     []string                   // environment of the queue program
	StartQueue   func() (qmqp.Queue, error) // nil: run QueueProgram
	LocalHost    string                     // $TCPLOCALHOST, else $TCPLOCALIP, else "unknown"
	RemoteIP     string                     // $TCPREMOTEIP, else "unknown"
	RemoteHost   string                     // $TCPREMOTEHOST, else "unknown"
	RemoteInfo   string                     // $TCPREMOTEINFO
	Timeout      time.Duration              // each read and each write: control/timeoutsmtpd; 0: none
	ConnTimeout  time.Duration              // the whole connection (qmqp.ConnectionLimit); 0: none
	Now          func() time.Time
}

// LoadConfig reads the control files of the qmail home and the UCSPI
// environment env (KEY=value entries).
func LoadConfig(home string, env []string) (*Config, error) {
	get := func(k string) (string, bool) { return cli.Lookup(env, k) }
	ctl := control.Open(home)
	c := &Config{ConnTimeout: qmqp.ConnectionLimit, QueueEnv: env, Now: time.Now}
	var err error
	if c.Rcpthosts, err = rcpthosts.Load(ctl); err != nil {
		return nil, err
	}
	if v, ok := get("RELAYCLIENT"); ok {
		c.RelayClient = &v
	}
	db, err := ctl.Int("databytes", 0)
	if err != nil {
		return nil, err
	}
	c.Databytes = int64(max(db, 0))
	// qmail-qmtpd shares qmail-smtpd's control files (databytes,
	// rcpthosts); so does its timeout on each read and write.
	t, err := ctl.Int("timeoutsmtpd", int(qmqp.DefaultIOTimeout/time.Second))
	if err != nil {
		return nil, err
	}
	c.Timeout = time.Duration(t) * time.Second
	if v, ok := get("DATABYTES"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad DATABYTES %q", v)
		}
		c.Databytes = n
	}
	c.QueueProgram = filepath.Join(home, "bin", "qmail-queue")
	if v, ok := get("QMAILQUEUE"); ok && v != "" {
		c.QueueProgram = v
	}
	c.LocalHost, c.RemoteIP, c.RemoteHost, c.RemoteInfo = qmqp.Identify(get)
	return c, nil
}
