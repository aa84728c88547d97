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

// Runtime is what the Go runtime needs beyond a program's image.
func Runtime() Needs {
	d, a, s, t := runtimeNeeds()
	return Needs{Data: d, AS: a, Stack: s, Threads: t}
}

// Of returns what the executable at path needs: its image, read from its
// ELF program headers, and the runtime's part.
func Of(path string) (Needs, error) {
	f, err := elf.Open(path)
	if err != nil {
		return Needs{}, err
	}
	defer f.Close()
	var lo, hi, writable uint64
	lo = ^uint64(0)
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		lo = min(lo, p.Vaddr)
		hi = max(hi, p.Vaddr+p.Memsz)
		if p.Flags&elf.PF_W != 0 {
			writable += p.Memsz
		}
	}
	if hi == 0 {
		return Needs{}, fmt.Errorf("%s: no loadable segment", path)
	}
	n := Runtime()
	n.Data += writable
	n.AS += hi - lo
	n.Stack += 4096 // what lies above the stack pointer for short arguments
	return n, nil
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
