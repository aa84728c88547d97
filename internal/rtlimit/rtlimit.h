// What the Go runtime of a quail program needs of its resource limits
// before main runs, beyond the program's own image. The entry routine
// (entry_linux_*.s) and the Go side (rtlimit.go, through floors_*.s) both
// read these numbers; this file is their one definition. How each was
// measured is in rtlimit.go's doc comment.

// The least data and address space limits every quail program is given:
// above what the largest of them needs (sslserver: 84.4 MB and 1.38 GB
// with Go 1.26), so that a limit raised for one is enough for any other
// it starts, which inherits it. A test fails when a program outgrows them.
#define DATA_FLOOR 100000000
#define AS_FLOOR 1500000000

// Bytes of RLIMIT_DATA beyond the writable image (.data, .bss).
#define DATA_RUNTIME 50331648
// Bytes of RLIMIT_AS beyond the whole image.
#define AS_RUNTIME 1342177280
// Bytes of RLIMIT_STACK below the initial stack pointer.
#define STACK_RUNTIME 81920
// Threads (RLIMIT_NPROC) a non-root user needs free.
#define THREADS_RUNTIME 8
