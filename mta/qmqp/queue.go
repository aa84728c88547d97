package qmqp

import (
	"github.com/quail-mta/quail/mta/qqueue"
)

// Queue is a running qmail-queue as the servers use it: qqueue's, or a
// stand-in in tests.
type Queue = qqueue.Queue

// StartQueue runs prog with env, or calls start when it is set.
func StartQueue(start func() (Queue, error), prog string, env []string) (Queue, error) {
	if start != nil {
		return start()
	}
	return qqueue.Start(prog, env)
}

// Identify reads the connection's names from the UCSPI environment with
// qmail's defaults: local host, remote IP, remote host, remote info.
func Identify(get func(string) (string, bool)) (local, ip, host, info string) {
	or := func(def string, keys ...string) string {
		for _, k := range keys {
			if v, ok := get(k); ok {
				return v
			}
		}
		return def
	}
	return or("unknown", "TCPLOCALHOST", "TCPLOCALIP"), or("unknown", "TCPREMOTEIP"),
		or("unknown", "TCPREMOTEHOST"), or("", "TCPREMOTEINFO")
}
