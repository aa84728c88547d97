// Command qreceipt is qreceipt(1); see package mta/notice.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/notice"
)

func main() { os.Exit(notice.Qreceipt(cli.FromOS("qreceipt"))) }
