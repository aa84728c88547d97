#include "textflag.h"
#include "rtlimit.h"

// _quail_rt0 is the entry point of quail's programs on linux/amd64 (the
// Makefile links them with -E _quail_rt0). It runs before the Go runtime,
// on the stack the kernel made, and uses none of it: everything it keeps
// is in registers or in this package's bss. For each limit the runtime
// needs (data, address space, stack, and threads for a user other than
// root) it reads the soft limit; when one is too low it writes one line
//
//	prog: fatal: unable to start: data limit N is below the M bytes the Go runtime needs (softlimit -d)
//
// to descriptor 2 and exits 111. Otherwise it jumps to the runtime's own
// entry, with the stack and registers as the kernel left them.
TEXT _quail_rt0(SB),NOSPLIT|NOFRAME,$0
	// Data: the writable image and the runtime's first mappings.
	MOVQ	$97, AX			// getrlimit
	MOVQ	$2, DI			// RLIMIT_DATA
	LEAQ	rlim<>(SB), SI
	SYSCALL
	CMPQ	AX, $0
	JNE	as
	MOVQ	rlim<>+0(SB), R12
	LEAQ	runtime·end(SB), R13
	LEAQ	runtime·noptrdata(SB), BX
	SUBQ	BX, R13
	ADDQ	$DATA_RUNTIME, R13
	MOVQ	$DATA_FLOOR, AX
	CMPQ	R13, AX
	CMOVQCS	AX, R13			// at least the floor
	MOVQ	$0, R11
	CMPQ	R12, R13
	JCS	fail

as:
	// Address space: the whole image and the runtime's reservations.
	MOVQ	$97, AX
	MOVQ	$9, DI			// RLIMIT_AS
	LEAQ	rlim<>(SB), SI
	SYSCALL
	CMPQ	AX, $0
	JNE	stack
	MOVQ	rlim<>+0(SB), R12
	LEAQ	runtime·end(SB), R13
	LEAQ	runtime·text(SB), BX
	SUBQ	BX, R13
	ADDQ	$(4096+AS_RUNTIME), R13
	MOVQ	$AS_FLOOR, AX
	CMPQ	R13, AX
	CMOVQCS	AX, R13
	MOVQ	$1, R11
	CMPQ	R12, R13
	JCS	fail

stack:
	// Stack: what lies above the stack pointer (arguments, environment,
	// auxiliary vector, up to the end of the file name the kernel put
	// at the top) and the runtime's STACK_RUNTIME below it.
	MOVQ	0(SP), BX		// argc
	LEAQ	16(SP)(BX*8), SI	// envp
envskip:
	MOVQ	0(SI), AX
	ADDQ	$8, SI
	CMPQ	AX, $0
	JNE	envskip
auxv:
	MOVQ	0(SI), AX		// a_type
	CMPQ	AX, $0			// AT_NULL
	JEQ	threads
	CMPQ	AX, $31			// AT_EXECFN
	JEQ	execfn
	ADDQ	$16, SI
	JMP	auxv
execfn:
	MOVQ	8(SI), R13
execfnlen:
	MOVBLZX	0(R13), AX
	INCQ	R13
	CMPQ	AX, $0
	JNE	execfnlen
	ADDQ	$(8+4095), R13		// the null word at the top, then the page end
	ANDQ	$~4095, R13
	SUBQ	SP, R13
	ADDQ	$STACK_RUNTIME, R13
	MOVQ	$97, AX
	MOVQ	$3, DI			// RLIMIT_STACK
	LEAQ	rlim<>(SB), SI
	SYSCALL
	CMPQ	AX, $0
	JNE	threads
	MOVQ	rlim<>+0(SB), R12
	MOVQ	$2, R11
	CMPQ	R12, R13
	JCS	fail

threads:
	// Threads count against RLIMIT_NPROC, which root is not held to.
	MOVQ	$102, AX		// getuid
	SYSCALL
	CMPQ	AX, $0
	JEQ	start
	MOVQ	$97, AX
	MOVQ	$6, DI			// RLIMIT_NPROC
	LEAQ	rlim<>(SB), SI
	SYSCALL
	CMPQ	AX, $0
	JNE	start
	MOVQ	rlim<>+0(SB), R12
	MOVQ	$THREADS_RUNTIME, R13
	MOVQ	$3, R11
	CMPQ	R12, R13
	JCS	fail

start:
	JMP	_rt0_amd64_linux(SB)

fail:
	// R11: which limit (0 data, 1 address space, 2 stack, 3 threads);
	// R12: the limit; R13: what is needed. The line goes out with one
	// writev from iov<>, seven pieces:
	// name, ": fatal: unable to start: ", kind, R12, " is below the ", R13, tail.
	LEAQ	iov<>(SB), DI

	// The program's name: argv[0] after its last slash.
	LEAQ	·quail(SB), SI
	MOVQ	$5, CX
	MOVQ	0(SP), AX
	CMPQ	AX, $0
	JEQ	name
	MOVQ	8(SP), SI
	MOVQ	SI, BX			// start of the base name
	MOVQ	SI, CX
namelen:
	MOVBLZX	0(CX), AX
	CMPQ	AX, $0
	JEQ	namedone
	INCQ	CX
	CMPQ	AX, $'/'
	JNE	namelen
	MOVQ	CX, BX
	JMP	namelen
namedone:
	MOVQ	BX, SI
	SUBQ	BX, CX
name:
	MOVQ	SI, 0(DI)
	MOVQ	CX, 8(DI)

	LEAQ	·fatal(SB), AX
	MOVQ	AX, 16(DI)
	MOVQ	$26, 24(DI)

	// The kind and the tail: 32-byte entries of kinds<>, 48-byte of tails<>.
	MOVQ	R11, AX
	SHLQ	$5, AX
	LEAQ	·kinds(SB), BX
	ADDQ	AX, BX
	MOVQ	BX, 32(DI)
	MOVQ	R11, AX
	SHLQ	$6, AX
	LEAQ	·tails(SB), BX
	ADDQ	AX, BX
	MOVQ	BX, 96(DI)
	LEAQ	·kindlen(SB), BX
	MOVBLZX	(BX)(R11*1), AX
	MOVQ	AX, 40(DI)
	LEAQ	·taillen(SB), BX
	MOVBLZX	(BX)(R11*1), AX
	MOVQ	AX, 104(DI)

	LEAQ	·below(SB), AX
	MOVQ	AX, 64(DI)
	MOVQ	$14, 72(DI)

	// The two numbers in decimal, each written backwards from the end
	// of its 24-byte slot of num<>.
	MOVQ	R12, AX
	LEAQ	num<>+24(SB), SI
	MOVQ	$10, BX
digits1:
	MOVQ	$0, DX
	DIVQ	BX
	ADDQ	$'0', DX
	DECQ	SI
	MOVB	DX, 0(SI)
	CMPQ	AX, $0
	JNE	digits1
	MOVQ	SI, 48(DI)
	LEAQ	num<>+24(SB), CX
	SUBQ	SI, CX
	MOVQ	CX, 56(DI)

	MOVQ	R13, AX
	LEAQ	num<>+48(SB), SI
digits2:
	MOVQ	$0, DX
	DIVQ	BX
	ADDQ	$'0', DX
	DECQ	SI
	MOVB	DX, 0(SI)
	CMPQ	AX, $0
	JNE	digits2
	MOVQ	SI, 80(DI)
	LEAQ	num<>+48(SB), CX
	SUBQ	SI, CX
	MOVQ	CX, 88(DI)

	MOVQ	DI, SI
	MOVQ	$2, DI
	MOVQ	$7, DX
	MOVQ	$20, AX			// writev
	SYSCALL
	MOVQ	$111, DI
	MOVQ	$231, AX		// exit_group
	SYSCALL
	JMP	0(PC)

GLOBL rlim<>(SB), NOPTR, $16
GLOBL iov<>(SB), NOPTR, $112
GLOBL num<>(SB), NOPTR, $48

// func runtimeNeeds() (dataFloor, asFloor, data, as, stack, threads uint64)
TEXT ·runtimeNeeds(SB),NOSPLIT,$0-48
	MOVQ	$DATA_FLOOR, AX
	MOVQ	AX, dataFloor+0(FP)
	MOVQ	$AS_FLOOR, AX
	MOVQ	AX, asFloor+8(FP)
	MOVQ	$DATA_RUNTIME, AX
	MOVQ	AX, data+16(FP)
	MOVQ	$AS_RUNTIME, AX
	MOVQ	AX, as+24(FP)
	MOVQ	$STACK_RUNTIME, AX
	MOVQ	AX, stack+32(FP)
	MOVQ	$THREADS_RUNTIME, AX
	MOVQ	AX, threads+40(FP)
	RET
