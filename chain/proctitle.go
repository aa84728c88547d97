package chain

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// procTitle writes into the memory that held the process's argument
// vector at exec time. The kernel serves /proc/PID/cmdline (what ps
// prints) from that memory, between the addresses /proc/PID/stat gives
// as arg_start and arg_end, so changing those bytes changes what ps shows,
// exactly as the C original does by writing to argv[argc-1].
//
// Go does not expose argv's address; the kernel does. The bytes are
// written through /proc/self/mem at arg_start plus the offset of the last
// argument. This is done only after checking that /proc/self/cmdline is
// exactly the invocation's arguments (it is not when the code runs inside
// a test binary, or after something else rewrote the title); when the
// check fails or /proc is unavailable, the title is kept only in memory
// and input is still consumed as the original consumes it.
type procTitle struct {
	mem  *os.File
	addr int64 // where the last argument starts
}

func newProcTitle(args []string) *procTitle {
	pt := &procTitle{}
	cmdline, err := os.ReadFile("/proc/self/cmdline")
	if err != nil || !bytes.Equal(cmdline, []byte(strings.Join(args, "\x00")+"\x00")) {
		return pt
	}
	start, end, ok := argRange()
	if !ok || end-start != int64(len(cmdline)) {
		return pt
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_WRONLY, 0)
	if err != nil {
		return pt
	}
	pt.mem = mem
	pt.addr = start + int64(len(cmdline)-len(args[len(args)-1])-1)
	return pt
}

// set shows title, which has the last argument's length, in ps. The
// first three bytes never change, so they are not rewritten.
func (pt *procTitle) set(title []byte) {
	if pt.mem == nil {
		return
	}
	if _, err := pt.mem.WriteAt(title[3:], pt.addr+3); err != nil {
		pt.close() // the kernel refuses: keep going without a visible title
	}
}

func (pt *procTitle) close() {
	if pt.mem != nil {
		pt.mem.Close()
		pt.mem = nil
	}
}

// argRange reads arg_start and arg_end, fields 48 and 49 of
// /proc/self/stat (proc(5)). Fields are counted after the command name,
// which is in parentheses and may itself hold spaces.
func argRange() (start, end int64, ok bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	const first = 3 // the field after the command name
	if len(fields) < 49-first+1 {
		return 0, 0, false
	}
	s, err1 := strconv.ParseInt(fields[48-first], 10, 64)
	e, err2 := strconv.ParseInt(fields[49-first], 10, 64)
	if err1 != nil || err2 != nil || s <= 0 || e <= s {
		return 0, 0, false
	}
	return s, e, true
}
