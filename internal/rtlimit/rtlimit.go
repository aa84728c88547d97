// Package rtlimit knows what the Go runtime needs of a process's resource
// limits before a program's main runs, and checks it there.
//
// A Go program starts by reserving address space for its heap and the
// heap's metadata and by mapping its first parts writable, all before
// main. Under a soft limit too small for that the runtime dies: with a
// multi-line "fatal error" and exit 2 when mmap(2) fails, and with no
// word at all (SIGSEGV) when the stack cannot grow. The classic run
// scripts' "softlimit -m 2000000" is far below what it needs.
//
// Each program of quail is therefore linked with an entry point of its
// own, _quail_rt0 (entry_linux_amd64.s, entry_linux_arm64.s; the Makefile
// and internal/testbin pass the linker "-E _quail_rt0", see LinkFlags).
// It runs before the runtime, reads the soft limits, and when one is too
// low writes one line and exits 111:
//
//	tcpserver: fatal: unable to start: data limit 60000000 is below the 84712928 bytes the Go runtime needs (softlimit -d)
//
// otherwise it jumps to the runtime's entry, _rt0_amd64_linux or
// _rt0_arm64_linux. A limit below the program's image itself (its text,
// data and bss) cannot be reported that way: the kernel refuses to map
// the image and kills the new process with SIGSEGV before it runs one
// instruction. quail's softlimit avoids both by raising a limit that is
// too low for the quail program it runs to that program's Needs.
//
// What the runtime needs beyond the image (rtlimit.h, measured with Go
// 1.26 on linux/amd64; see docs/daemontools-tools.md):
//
//   - data (RLIMIT_DATA, counting every writable private mapping): the
//     heap arena index (32 MiB), the first 4 MiB of heap, the page
//     allocator's and the scheduler's first metadata: about 44 MiB at
//     start, 48 MiB with the room a program's first work needs.
//   - address space (RLIMIT_AS, counting reservations too): the page
//     allocator's summaries (585 MiB), the scavenger's index (512 MiB),
//     the first heap arena (64 MiB) and the arena index (32 MiB). Below
//     about 0.75 GB the first of these fails; from there to about 1.15
//     GB the scavenger's index fails and the runtime, which does not
//     check that one, goes on with the index at fixed low addresses and
//     runs; above, the index fits but the first heap arena does not,
//     until about 1.25 GB. The rule is the sum, 1280 MiB with room.
//   - stack (RLIMIT_STACK): the runtime takes 64 KiB of the initial
//     stack below the stack pointer for its first thread, beyond what
//     the kernel put above it (arguments, environment); 80 KiB with room.
//   - threads (RLIMIT_NPROC, which counts a user's threads and is not
//     enforced for root): the runtime starts several at once.
package rtlimit

import (
	"debug/elf"
	"fmt"
)

// Needs are the least soft limits a program starts under.
type Needs struct {
	Data    uint64 // RLIMIT_DATA, bytes
	AS      uint64 // RLIMIT_AS, bytes
	Stack   uint64 // RLIMIT_STACK, bytes, with a small argument list
	Threads uint64 // RLIMIT_NPROC, for a user other than root
}

// Floor is the least every quail program is given: the data and address
// space floors (above what the largest program needs, so that a limit
// raised for one program is enough for any program it starts), the
// runtime's stack with a short argument list, and its threads.
func Floor() Needs {
	df, af, _, _, s, t := runtimeNeeds()
	return Needs{Data: df, AS: af, Stack: s + 4096, Threads: t}
}

// Runtime is what the Go runtime needs beyond a program's image.
func Runtime() Needs {
	_, _, d, a, s, t := runtimeNeeds()
	return Needs{Data: d, AS: a, Stack: s, Threads: t}
}

// Of returns what the executable at path needs when it is started with
// argv and env: the floor, or when more, its image read from its ELF section headers as the entry
// routine reads it from the linker's symbols (the writable part from
// .noptrdata to the end of .noptrbss, the whole from .text to there, and
// a page before .text for the headers), the runtime's part, and on the
// stack what the kernel puts above the stack pointer for argv and env.
func Of(path string, argv, env []string) (Needs, error) {
	f, err := elf.Open(path)
	if err != nil {
		return Needs{}, err
	}
	defer f.Close()
	text, data, bss := f.Section(".text"), f.Section(".noptrdata"), f.Section(".noptrbss")
	if text == nil || data == nil || bss == nil {
		return Needs{}, fmt.Errorf("%s: not a Go program's image", path)
	}
	end := bss.Addr + bss.Size
	n, floor := Runtime(), Floor()
	n.Data = max(floor.Data, n.Data+end-data.Addr)
	n.AS = max(floor.AS, n.AS+end-text.Addr+4096)
	n.Stack += aboveStack(path, argv, env)
	return n, nil
}

// aboveStack is an upper bound of what execve(2) puts above the new
// program's stack pointer: the strings of the file name, argv and env, the
// pointers to them, the auxiliary vector with its random bytes and
// platform name, and the up to 8 KiB the kernel may move the stack pointer
// down at random, rounded up to the page that holds the top.
func aboveStack(path string, argv, env []string) uint64 {
	n := uint64(len(path)+1) + 8*uint64(len(argv)+len(env)+3) + 1024 + 8192
	for _, s := range argv {
		n += uint64(len(s) + 1)
	}
	for _, s := range env {
		n += uint64(len(s) + 1)
	}
	return (n + 2*4095) &^ 4095
}

// EntrySymbol is the entry point the linker is told to use.
const EntrySymbol = "_quail_rt0"

// LinkFlags returns the linker flags that make a quail program start at
// EntrySymbol, for the platforms that have it, and nothing for others.
func LinkFlags(goos, goarch string) string {
	if goos == "linux" && (goarch == "amd64" || goarch == "arm64") {
		return "-E " + EntrySymbol
	}
	return ""
}
