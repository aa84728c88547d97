// Package servicetemplates holds the run and log/run scripts of every
// quail service, as quail-setup(8) installs them under /var/service (or
// ./run/service for make run). The scripts are the same for the
// privileged installation and for a single-user instance: everything
// that differs (addresses, ports, users, limits, the qmail home, the
// certificate) is read from the service's ./env directory through
// envdir(8), which quail-setup writes. An empty env file unsets its
// variable, which is how a single-user instance drops the -u and -g
// options and the setuidgid of the logger.
package servicetemplates

import "embed"

// FS holds <service>/run and <service>/log/run for each service.
//
//go:embed */run */log/run
var FS embed.FS
