#include "textflag.h"
#include "rtlimit.h"

// _quail_rt0 is the entry point of quail's programs on linux/arm64: the
// same checks as entry_linux_amd64.s, in the same order, with the same
// line, before it branches to the runtime's _rt0_arm64_linux. It uses no
// stack; R20 is the limit, R21 what is needed, R22 which limit.
TEXT _quail_rt0(SB),NOSPLIT|NOFRAME,$0
	// Data.
	MOVD	$2, R0			// RLIMIT_DATA
	MOVD	$rlim<>(SB), R1
	MOVD	$163, R8		// getrlimit
	SVC
	CBNZ	R0, as
	MOVD	rlim<>(SB), R20
	MOVD	$runtime·end(SB), R21
	MOVD	$runtime·noptrdata(SB), R1
	SUB	R1, R21, R21
	MOVD	$DATA_RUNTIME, R1
	ADD	R1, R21, R21
	MOVD	$DATA_FLOOR, R1
	CMP	R1, R21
	CSEL	LO, R1, R21, R21	// at least the floor
	MOVD	$0, R22
	CMP	R21, R20
	BLO	fail

as:
	MOVD	$9, R0			// RLIMIT_AS
	MOVD	$rlim<>(SB), R1
	MOVD	$163, R8
	SVC
	CBNZ	R0, stack
	MOVD	rlim<>(SB), R20
	MOVD	$runtime·end(SB), R21
	MOVD	$runtime·text(SB), R1
	SUB	R1, R21, R21
	MOVD	$(4096+AS_RUNTIME), R1
	ADD	R1, R21, R21
	MOVD	$AS_FLOOR, R1
	CMP	R1, R21
	CSEL	LO, R1, R21, R21
	MOVD	$1, R22
	CMP	R21, R20
	BLO	fail

stack:
	MOVD	RSP, R2
	MOVD	0(R2), R3		// argc
	ADD	$2, R3, R3
	LSL	$3, R3, R3
	ADD	R3, R2, R3		// envp
envskip:
	MOVD	0(R3), R4
	ADD	$8, R3, R3
	CBNZ	R4, envskip
auxv:
	MOVD	0(R3), R4		// a_type
	CBZ	R4, threads		// AT_NULL
	CMP	$31, R4			// AT_EXECFN
	BEQ	execfn
	ADD	$16, R3, R3
	B	auxv
execfn:
	MOVD	8(R3), R21
execfnlen:
	MOVBU	0(R21), R4
	ADD	$1, R21, R21
	CBNZ	R4, execfnlen
	ADD	$(8+4095), R21, R21
	AND	$~4095, R21, R21
	SUB	R2, R21, R21
	MOVD	$STACK_RUNTIME, R1
	ADD	R1, R21, R21
	MOVD	$3, R0			// RLIMIT_STACK
	MOVD	$rlim<>(SB), R1
	MOVD	$163, R8
	SVC
	CBNZ	R0, threads
	MOVD	rlim<>(SB), R20
	MOVD	$2, R22
	CMP	R21, R20
	BLO	fail

threads:
	MOVD	$174, R8		// getuid
	SVC
	CBZ	R0, start
	MOVD	$6, R0			// RLIMIT_NPROC
	MOVD	$rlim<>(SB), R1
	MOVD	$163, R8
	SVC
	CBNZ	R0, start
	MOVD	rlim<>(SB), R20
	MOVD	$THREADS_RUNTIME, R21
	MOVD	$3, R22
	CMP	R21, R20
	BLO	fail

start:
	B	_rt0_arm64_linux(SB)

fail:
	MOVD	$iov<>(SB), R9

	// The program's name: argv[0] after its last slash.
	MOVD	$·quail(SB), R1
	MOVD	$5, R2
	MOVD	RSP, R3
	MOVD	0(R3), R4
	CBZ	R4, name
	MOVD	8(R3), R1
	MOVD	R1, R5			// start of the base name
	MOVD	R1, R6
namelen:
	MOVBU	0(R6), R4
	CBZ	R4, namedone
	ADD	$1, R6, R6
	CMP	$'/', R4
	BNE	namelen
	MOVD	R6, R5
	B	namelen
namedone:
	MOVD	R5, R1
	SUB	R5, R6, R2
name:
	MOVD	R1, 0(R9)
	MOVD	R2, 8(R9)

	MOVD	$·fatal(SB), R1
	MOVD	R1, 16(R9)
	MOVD	$26, R1
	MOVD	R1, 24(R9)

	MOVD	$·kinds(SB), R1
	ADD	R22<<5, R1, R1
	MOVD	R1, 32(R9)
	MOVD	$·kindlen(SB), R1
	ADD	R22, R1, R1
	MOVBU	0(R1), R2
	MOVD	R2, 40(R9)
	MOVD	$·tails(SB), R1
	ADD	R22<<6, R1, R1
	MOVD	R1, 96(R9)
	MOVD	$·taillen(SB), R1
	ADD	R22, R1, R1
	MOVBU	0(R1), R2
	MOVD	R2, 104(R9)

	MOVD	$·below(SB), R1
	MOVD	R1, 64(R9)
	MOVD	$14, R1
	MOVD	R1, 72(R9)

	MOVD	$10, R7
	MOVD	R20, R3
	MOVD	$num<>+24(SB), R1
digits1:
	UDIV	R7, R3, R4
	MSUB	R7, R3, R4, R5		// R5 = R3 - R4*10
	ADD	$'0', R5, R5
	SUB	$1, R1, R1
	MOVB	R5, 0(R1)
	MOVD	R4, R3
	CBNZ	R3, digits1
	MOVD	R1, 48(R9)
	MOVD	$num<>+24(SB), R2
	SUB	R1, R2, R2
	MOVD	R2, 56(R9)

	MOVD	R21, R3
	MOVD	$num<>+48(SB), R1
digits2:
	UDIV	R7, R3, R4
	MSUB	R7, R3, R4, R5
	ADD	$'0', R5, R5
	SUB	$1, R1, R1
	MOVB	R5, 0(R1)
	MOVD	R4, R3
	CBNZ	R3, digits2
	MOVD	R1, 80(R9)
	MOVD	$num<>+48(SB), R2
	SUB	R1, R2, R2
	MOVD	R2, 88(R9)

	MOVD	$2, R0
	MOVD	R9, R1
	MOVD	$7, R2
	MOVD	$66, R8			// writev
	SVC
	MOVD	$111, R0
	MOVD	$94, R8			// exit_group
	SVC
	B	0(PC)

// func runtimeNeeds() (dataFloor, asFloor, data, as, stack, threads uint64)
TEXT ·runtimeNeeds(SB),NOSPLIT,$0-48
	MOVD	$DATA_FLOOR, R0
	MOVD	R0, dataFloor+0(FP)
	MOVD	$AS_FLOOR, R0
	MOVD	R0, asFloor+8(FP)
	MOVD	$DATA_RUNTIME, R0
	MOVD	R0, data+16(FP)
	MOVD	$AS_RUNTIME, R0
	MOVD	R0, as+24(FP)
	MOVD	$STACK_RUNTIME, R0
	MOVD	R0, stack+32(FP)
	MOVD	$THREADS_RUNTIME, R0
	MOVD	R0, threads+40(FP)
	RET

GLOBL rlim<>(SB), NOPTR, $16
GLOBL iov<>(SB), NOPTR, $112
GLOBL num<>(SB), NOPTR, $48
