// The pieces of the entry routine's one line (entry_linux_*.s); each
// table entry is padded to its fixed size, its length kept beside it.

#include "textflag.h"

DATA ·quail+0(SB)/4, $"quai"
DATA ·quail+4(SB)/1, $"l"
GLOBL ·quail(SB), RODATA, $5

DATA ·fatal+0(SB)/8, $": fatal:"
DATA ·fatal+8(SB)/8, $" unable "
DATA ·fatal+16(SB)/8, $"to start"
DATA ·fatal+24(SB)/2, $": "
GLOBL ·fatal(SB), RODATA, $26

DATA ·below+0(SB)/8, $" is belo"
DATA ·below+8(SB)/4, $"w th"
DATA ·below+12(SB)/2, $"e "
GLOBL ·below(SB), RODATA, $14

DATA ·kinds+0(SB)/8, $"data lim"
DATA ·kinds+8(SB)/2, $"it"
DATA ·kinds+10(SB)/1, $" "
DATA ·kinds+32(SB)/8, $"address "
DATA ·kinds+40(SB)/8, $"space li"
DATA ·kinds+48(SB)/4, $"mit "
DATA ·kinds+64(SB)/8, $"stack li"
DATA ·kinds+72(SB)/4, $"mit "
DATA ·kinds+96(SB)/8, $"process "
DATA ·kinds+104(SB)/4, $"limi"
DATA ·kinds+108(SB)/2, $"t "
GLOBL ·kinds(SB), RODATA, $128

DATA ·tails+0(SB)/8, $" bytes t"
DATA ·tails+8(SB)/8, $"he Go ru"
DATA ·tails+16(SB)/8, $"ntime ne"
DATA ·tails+24(SB)/8, $"eds (sof"
DATA ·tails+32(SB)/8, $"tlimit -"
DATA ·tails+40(SB)/2, $"d)"
DATA ·tails+42(SB)/1, $"\n"
DATA ·tails+64(SB)/8, $" bytes t"
DATA ·tails+72(SB)/8, $"he Go ru"
DATA ·tails+80(SB)/8, $"ntime ne"
DATA ·tails+88(SB)/8, $"eds (sof"
DATA ·tails+96(SB)/8, $"tlimit -"
DATA ·tails+104(SB)/2, $"a)"
DATA ·tails+106(SB)/1, $"\n"
DATA ·tails+128(SB)/8, $" bytes t"
DATA ·tails+136(SB)/8, $"he Go ru"
DATA ·tails+144(SB)/8, $"ntime ne"
DATA ·tails+152(SB)/8, $"eds (sof"
DATA ·tails+160(SB)/8, $"tlimit -"
DATA ·tails+168(SB)/2, $"s)"
DATA ·tails+170(SB)/1, $"\n"
DATA ·tails+192(SB)/8, $" threads"
DATA ·tails+200(SB)/8, $" the Go "
DATA ·tails+208(SB)/8, $"runtime "
DATA ·tails+216(SB)/8, $"needs (s"
DATA ·tails+224(SB)/8, $"oftlimit"
DATA ·tails+232(SB)/4, $" -p)"
DATA ·tails+236(SB)/1, $"\n"
GLOBL ·tails(SB), RODATA, $256

DATA ·kindlen+0(SB)/1, $11
DATA ·kindlen+1(SB)/1, $20
DATA ·kindlen+2(SB)/1, $12
DATA ·kindlen+3(SB)/1, $14
GLOBL ·kindlen(SB), RODATA, $4
DATA ·taillen+0(SB)/1, $43
DATA ·taillen+1(SB)/1, $43
DATA ·taillen+2(SB)/1, $43
DATA ·taillen+3(SB)/1, $45
GLOBL ·taillen(SB), RODATA, $4
