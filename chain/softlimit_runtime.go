package chain

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/ownprog"
	"github.com/quail-mta/quail/internal/rtlimit"
)

// runtimeLimits are the limits the Go runtime needs something of, in the
// order a warning names them.
var runtimeLimits = []struct {
	resource int
	name     string
	need     func(rtlimit.Needs) uint64
}{
	{unix.RLIMIT_DATA, "data", func(n rtlimit.Needs) uint64 { return n.Data }},
	{unix.RLIMIT_AS, "address space", func(n rtlimit.Needs) uint64 { return n.AS }},
	{unix.RLIMIT_STACK, "stack", func(n rtlimit.Needs) uint64 { return n.Stack }},
	{unix.RLIMIT_NPROC, "process", func(n rtlimit.Needs) uint64 { return n.Threads }},
}

// raiseForRuntime raises, when path is one of quail's own programs, each
// of limits that is below what that program's Go runtime needs to start
// (rtlimit.Of) to that need, and returns the one warning line that says
// so, or "". A limit above the need is left as the administrator gave it,
// and so is everything for any other program. The classic run scripts'
// "softlimit -m 2000000 tcpserver" thus starts tcpserver (and its
// children, which inherit the limits) with the least memory they can run
// with, where Debian's softlimit leaves them to be killed.
func raiseForRuntime(limits []softLimit, path string, argv, env []string) string {
	if !rtlimit.Checked || !ownprog.Quail(path) {
		return ""
	}
	needs, err := rtlimit.Of(path, argv, env)
	if err != nil {
		return ""
	}
	var raised []string
	for _, rl := range runtimeLimits {
		need := rl.need(needs)
		if rl.resource == unix.RLIMIT_NPROC && os.Getuid() == 0 {
			continue // root is not held to RLIMIT_NPROC
		}
		last := -1
		for i := range limits {
			if limits[i].resource == rl.resource {
				last = i
			}
		}
		if last < 0 || limits[last].eq || limits[last].value >= need {
			continue
		}
		raised = append(raised, fmt.Sprintf("%s limit %d to %d", rl.name, limits[last].value, need))
		limits[last].value = need
	}
	if raised == nil {
		return ""
	}
	return fmt.Sprintf("raising limits below what %s needs to start: %s", filepath.Base(path), strings.Join(raised, ", "))
}
