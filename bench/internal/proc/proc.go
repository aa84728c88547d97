// Package proc reads what the mail benchmarks need from Linux's /proc: a
// process's children and descendants, its memory from smaps_rollup
// (proc(5): Pss, Private_Clean, Private_Dirty) and its thread count.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stat is the part of /proc/PID/stat the benchmarks use.
type Stat struct {
	PID, PPID int
	Comm      string
}

// ReadStat reads /proc/PID/stat. The command name is between the first
// "(" and the last ")", since it may itself hold spaces and parentheses.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return Stat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 2 {
		return Stat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return Stat{}, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
	}
	return Stat{PID: pid, PPID: ppid, Comm: string(b[open+1 : close])}, nil
}

// All returns every process's stat; processes that exit while being
// read are left out.
func All() ([]Stat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Stat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := ReadStat(pid); err == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// Children returns the processes whose parent is pid.
func Children(pid int) ([]Stat, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	var out []Stat
	for _, s := range all {
		if s.PPID == pid {
			out = append(out, s)
		}
	}
	return out, nil
}

// Descendants returns every process below pid, pid excluded.
func Descendants(pid int) ([]Stat, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	kids := map[int][]Stat{}
	for _, s := range all {
		kids[s.PPID] = append(kids[s.PPID], s)
	}
	var out []Stat
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, k := range kids[p] {
			out = append(out, k)
			todo = append(todo, k.PID)
		}
	}
	return out, nil
}

// Mem is a process's memory in KiB as smaps_rollup reports it.
// Private is Private_Clean plus Private_Dirty, the memory that goes away
// with the process. For the only process running a program, Private
// includes the program's text, which the next process running it
// shares (and which counts as dirty while the page cache has not yet
// written a freshly built binary back); Anonymous (heap, stacks, written
// data) is what each further process adds whatever else runs.
type Mem struct {
	Rss, Pss, Private, Anonymous int
}

// Add returns the sum of m and o.
func (m Mem) Add(o Mem) Mem {
	return Mem{m.Rss + o.Rss, m.Pss + o.Pss, m.Private + o.Private, m.Anonymous + o.Anonymous}
}

// ReadMem reads /proc/PID/smaps_rollup.
func ReadMem(pid int) (Mem, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return Mem{}, err
	}
	var m Mem
	for _, l := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch name {
		case "Rss", "Pss", "Private_Clean", "Private_Dirty", "Anonymous":
		default:
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		if err != nil {
			return Mem{}, fmt.Errorf("/proc/%d/smaps_rollup: %q: %w", pid, l, err)
		}
		switch name {
		case "Rss":
			m.Rss += kb
		case "Pss":
			m.Pss += kb
		case "Private_Clean", "Private_Dirty":
			m.Private += kb
		case "Anonymous":
			m.Anonymous += kb
		}
	}
	return m, nil
}

// Threads counts the threads of pid.
func Threads(pid int) (int, error) {
	ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
	return len(ents), err
}

// SystemThreads counts the threads of every process on the machine,
// which is what the kernel's pid limit bounds.
func SystemThreads() int {
	n := 0
	all, _ := All()
	for _, s := range all {
		if t, err := Threads(s.PID); err == nil {
			n += t
		}
	}
	return n
}

// PIDMax reads the kernel's pid limit.
func PIDMax() int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// ServingTCP returns the processes holding the server's end of the
// loopback TCP connection from clientPort to serverPort: the processes
// of one session, whatever forked or executed them.
func ServingTCP(serverPort, clientPort int) ([]Stat, error) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	want := fmt.Sprintf(":%04X", serverPort)
	peer := fmt.Sprintf(":%04X", clientPort)
	inode := ""
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) >= 10 && strings.HasSuffix(f[1], want) && strings.HasSuffix(f[2], peer) {
			inode = f[9]
			break
		}
	}
	if inode == "" {
		return nil, fmt.Errorf("no connection from port %d to port %d in /proc/net/tcp", clientPort, serverPort)
	}
	target := "socket:[" + inode + "]"
	all, err := All()
	if err != nil {
		return nil, err
	}
	var out []Stat
	for _, s := range all {
		fds := filepath.Join("/proc", strconv.Itoa(s.PID), "fd")
		ents, err := os.ReadDir(fds)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if l, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && l == target {
				out = append(out, s)
				break
			}
		}
	}
	return out, nil
}

// clockTick is the kernel's USER_HZ, the unit of the times in stat; it
// is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// CPU returns the processor time, user plus system, that pid has used
// and that its children have used and it has reaped (stat fields 14 to
// 17).
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	close := bytes.LastIndexByte(b, ')')
	if close < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	// After the command: state ppid pgrp session tty_nr tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime.
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// TreeCPU is CPU summed over pid and every live descendant: all the
// processor time the tree has used, as long as every process that ended
// in it was reaped by its parent in it.
func TreeCPU(pid int) (time.Duration, error) {
	total, err := CPU(pid)
	if err != nil {
		return 0, err
	}
	kids, err := Descendants(pid)
	if err != nil {
		return 0, err
	}
	for _, k := range kids {
		if c, err := CPU(k.PID); err == nil {
			total += c
		}
	}
	return total, nil
}

// FDs counts the open descriptors of pid.
func FDs(pid int) (int, error) {
	ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	return len(ents), err
}

// OpenFilesLimit is pid's soft limit on open files, from the "Max open
// files" line of /proc/PID/limits.
func OpenFilesLimit(pid int) (int, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "limits"))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			if f[0] == "unlimited" {
				return -1, nil
			}
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("no \"Max open files\" in /proc/%d/limits", pid)
}

// SystemFiles reads /proc/sys/fs/file-nr: the file handles allocated on
// the machine and the most it allows (file-max).
func SystemFiles() (allocated, max int, err error) {
	b, err := os.ReadFile("/proc/sys/fs/file-nr")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return 0, 0, fmt.Errorf("/proc/sys/fs/file-nr: %q", b)
	}
	if allocated, err = strconv.Atoi(f[0]); err == nil {
		max, err = strconv.Atoi(f[2])
	}
	return allocated, max, err
}
