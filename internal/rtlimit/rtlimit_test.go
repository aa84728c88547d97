package rtlimit_test

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/rtlimit"
	"github.com/quail-mta/quail/internal/testbin"
)

// programs lists quail's programs: the directories of cmd/.
func programs(t *testing.T) []string {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name())
	}
	return names
}

// Every program starts at the entry routine, and needs no more than the
// floor, which is what lets a limit raised for one program serve every
// program it starts. A program that outgrows the floor fails here: raise
// DATA_FLOOR or AS_FLOOR in rtlimit.h, and the figures in the docs.
func TestEveryProgramStartsAtTheCheckAndFitsTheFloor(t *testing.T) {
	if !rtlimit.Checked {
		t.Skip("no entry routine on this platform")
	}
	floor, runtime := rtlimit.Floor(), rtlimit.Runtime()
	for _, name := range programs(t) {
		path := testbin.Path(t, name)
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		syms, err := f.Symbols()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var entry uint64
		for _, s := range syms {
			if s.Name == rtlimit.EntrySymbol {
				entry = s.Value
			}
		}
		if entry == 0 || f.Entry != entry {
			t.Errorf("%s starts at %#x, %s is at %#x", name, f.Entry, rtlimit.EntrySymbol, entry)
		}
		text, data, bss := f.Section(".text"), f.Section(".noptrdata"), f.Section(".noptrbss")
		f.Close()
		end := bss.Addr + bss.Size
		if own := runtime.Data + end - data.Addr; own > floor.Data {
			t.Errorf("%s needs %d bytes of data, above the floor %d", name, own, floor.Data)
		}
		if own := runtime.AS + end - text.Addr + 4096; own > floor.AS {
			t.Errorf("%s needs %d bytes of address space, above the floor %d", name, own, floor.AS)
		}
	}
}

// The entry routine's line carries the figures Of computes, so that what
// quail's softlimit raises a limit to is what the program asks for.
func TestEntryLineMatchesOf(t *testing.T) {
	if !rtlimit.Checked {
		t.Skip("no entry routine on this platform")
	}
	softlimit := testbin.Peer(t, "softlimit")
	for _, name := range []string{"addcr", "sslserver"} {
		path := testbin.Path(t, name)
		env := []string{"PATH=/usr/bin:/bin"}
		needs, err := rtlimit.Of(path, []string{path}, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			opt, value, kind string
			need             uint64
		}{
			{"-d", "40000000", "data", needs.Data}, // above the image (34 MB with crypto), below the runtime
			{"-a", "100000000", "address space", needs.AS},
			{"-d", fmt.Sprint(needs.Data - 1), "data", needs.Data},
		} {
			cmd := exec.Command(softlimit, tc.opt, tc.value, path)
			cmd.Env = env
			_, stderr, code := testbin.Run(t, cmd)
			want := fmt.Sprintf("%s: fatal: unable to start: %s limit %s is below the %d bytes the Go runtime needs (softlimit %s)\n",
				name, tc.kind, tc.value, tc.need, tc.opt)
			if code != 111 || stderr != want {
				t.Errorf("softlimit %s %s %s: exit %d, %q; want 111, %q", tc.opt, tc.value, name, code, stderr, want)
			}
		}
		// At the need itself it starts (and prints its usage or reads
		// nothing: either way not the entry routine's line).
		cmd := exec.Command(softlimit, "-d", fmt.Sprint(needs.Data), "-a", fmt.Sprint(needs.AS), "-s", fmt.Sprint(needs.Stack), path)
		cmd.Env = env
		_, stderr, code := testbin.Run(t, cmd)
		if code == 111 || code < 0 || strings.Contains(stderr, "unable to start") || strings.Contains(stderr, "runtime") {
			t.Errorf("%s at its needs %+v: exit %d, %q", name, needs, code, stderr)
		}
		// The stack the routine asks for stays within Of's bound.
		cmd = exec.Command(softlimit, "-s", "20000", path)
		cmd.Env = env
		_, stderr, _ = testbin.Run(t, cmd)
		var have, need uint64
		if _, err := fmt.Sscanf(strings.TrimPrefix(stderr, name+": fatal: unable to start: "), "stack limit %d is below the %d bytes", &have, &need); err != nil || need > needs.Stack {
			t.Errorf("%s under -s 20000: %q; want a stack need of at most %d", name, stderr, needs.Stack)
		}
	}
}

func TestLinkFlags(t *testing.T) {
	for _, tc := range []struct{ goos, goarch, want string }{
		{"linux", "amd64", "-E _quail_rt0"},
		{"linux", "arm64", "-E _quail_rt0"},
		{"linux", "riscv64", ""},
		{"freebsd", "amd64", ""},
	} {
		if got := rtlimit.LinkFlags(tc.goos, tc.goarch); got != tc.want {
			t.Errorf("LinkFlags(%s, %s) = %q, want %q", tc.goos, tc.goarch, got, tc.want)
		}
	}
}
