package send

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
)

// TestCrashConsistency injects many messages while qmail-send,
// qmail-lspawn and qmail-local are killed with SIGKILL at random
// instants and qmail-start is started again each time qmail-send is gone.
// Afterwards every message whose qmail-queue exited 0 is in the Maildir;
// a message delivered twice is allowed only for deliveries under way at a
// kill (at most concurrencylocal per kill of qmail-send or qmail-lspawn,
// one per kill of qmail-local), and the count is logged. qmail-queue is
// killed now and then too; after one more restart the queue is empty:
// nothing a dead writer left stays.
//
// QUAIL_CRASH_MESSAGES sets the number of messages (default 2000, 300
// with -short); injection stops early after 30 seconds on a slow machine.
func TestCrashConsistency(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	if v, err := strconv.Atoi(os.Getenv("QUAIL_CRASH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	const conc = 10
	// On a crowded machine fewer messages go in, so that the test stays
	// within its time; the log says how many did.
	const injectBudget = 30 * time.Second
	in := newInstance(t, map[string]string{"concurrencylocal": strconv.Itoa(conc)})
	qq := testbin.Path(t, "qmail-queue")
	start := time.Now()

	// The supervisor: qmail-start again whenever qmail-send is gone.
	var (
		mu       sync.Mutex
		sendPid  int
		stopping atomic.Bool
		restarts atomic.Int32
	)
	supDone := make(chan struct{})
	go func() {
		defer close(supDone)
		for !stopping.Load() {
			logf, err := os.OpenFile(in.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				t.Error(err)
				return
			}
			cmd := exec.Command(testbin.Path(t, "qmail-start"), "./Maildir/")
			cmd.Env = in.env()
			cmd.Stdout, cmd.Stderr = logf, logf
			if err := cmd.Start(); err != nil {
				t.Error(err)
				logf.Close()
				return
			}
			logf.Close()
			mu.Lock()
			sendPid = cmd.Process.Pid
			mu.Unlock()
			cmd.Wait()
			restarts.Add(1)
		}
	}()
	currentSend := func() int {
		mu.Lock()
		defer mu.Unlock()
		return sendPid
	}
	// However the test ends, nothing it started may outlive it.
	t.Cleanup(func() {
		stopping.Store(true)
		for {
			select {
			case <-supDone:
				for _, p := range append(allProcs("qmail-lspawn", in.home), allProcs("qmail-local", in.home)...) {
					syscall.Kill(p, syscall.SIGKILL)
				}
				return
			case <-time.After(10 * time.Millisecond):
				if sp := currentSend(); sp != 0 {
					syscall.Kill(sp, syscall.SIGKILL)
				}
			}
		}
	})

	// The killer.
	var kills [4]atomic.Int32 // qmail-send, qmail-lspawn, qmail-local, qmail-queue
	killDone := make(chan struct{})
	stopKill := make(chan struct{})
	go func() {
		defer close(killDone)
		rng := rand.New(rand.NewSource(time.Now().UnixNano()))
		for {
			select {
			case <-stopKill:
				return
			case <-time.After(time.Duration(20+rng.Intn(200)) * time.Millisecond):
			}
			sp := currentSend()
			if sp == 0 {
				continue
			}
			var lspawns, locals []int
			for _, c := range testbin.Children(sp) {
				if comm(c) == "qmail-lspawn" {
					lspawns = append(lspawns, c)
				}
			}
			// Old qmail-lspawns finishing their deliveries are orphans now;
			// their qmail-local children are fair game too.
			for _, p := range allProcs("qmail-lspawn", in.home) {
				for _, c := range testbin.Children(p) {
					if comm(c) == "qmail-local" {
						locals = append(locals, c)
					}
				}
			}
			queues := allProcs("qmail-queue", in.home)
			switch k := rng.Intn(10); {
			case k == 9 && len(queues) > 0:
				// A qmail-queue killed mid-way: its caller sees no exit 0
				// and the message is not counted; the files it left are
				// recovery's to remove.
				if syscall.Kill(queues[rng.Intn(len(queues))], syscall.SIGKILL) == nil {
					kills[3].Add(1)
				}
			case k < 4:
				if syscall.Kill(sp, syscall.SIGKILL) == nil {
					kills[0].Add(1)
				}
			case k < 7 && len(lspawns) > 0:
				if syscall.Kill(lspawns[0], syscall.SIGKILL) == nil {
					kills[1].Add(1)
				}
			case len(locals) > 0:
				if syscall.Kill(locals[rng.Intn(len(locals))], syscall.SIGKILL) == nil {
					kills[2].Add(1)
				}
			}
		}
	}()

	// The injectors.
	var accepted sync.Map
	var failedQ atomic.Int32
	var wg sync.WaitGroup
	next := atomic.Int32{}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n || time.Since(start) > injectBudget {
					return
				}
				code, err := injectOne(qq, in.env(), i)
				if err != nil {
					t.Error(err)
					return
				}
				if code == 0 {
					accepted.Store(i, true)
				} else {
					failedQ.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stopKill)
	<-killDone
	injected := time.Since(start)
	var want []int
	accepted.Range(func(k, _ any) bool { want = append(want, k.(int)); return true })

	// Drain: deferred deliveries are retried at once on SIGALRM.
	seqRx := regexp.MustCompile(`(?m)^X-Seq: (\d+)$`)
	var got map[int]int
	var files int
	deadline := time.Now().Add(90 * time.Second)
	for {
		got, files = map[int]int{}, 0
		ents, _ := os.ReadDir(filepath.Join(in.maildir, "new"))
		if len(ents) >= len(want) {
			for _, e := range ents {
				b, err := os.ReadFile(filepath.Join(in.maildir, "new", e.Name()))
				if err != nil {
					continue
				}
				if m := seqRx.FindSubmatch(b); m != nil {
					s, _ := strconv.Atoi(string(m[1]))
					got[s]++
					files++
				}
			}
		}
		missing := 0
		for _, s := range want {
			if got[s] == 0 {
				missing++
			}
		}
		if missing == 0 && len(in.queueFiles("todo", "info")) == 0 {
			break
		}
		if time.Now().After(deadline) {
			in.dumpQueue()
			t.Fatalf("%d of %d accepted messages never delivered; queue: %v", missing, len(want), in.queueFiles(allDirs...))
		}
		if sp := currentSend(); sp != 0 {
			syscall.Kill(sp, syscall.SIGALRM)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopping.Store(true)
	if sp := currentSend(); sp != 0 {
		syscall.Kill(sp, syscall.SIGTERM)
	}
	<-supDone
	waitGone(t, append(allProcs("qmail-lspawn", in.home), allProcs("qmail-local", in.home)...))

	// Files a killed qmail-queue or a killed qmail-send left (S2, S3, pid/
	// debris) have no live writer: a restart removes them.
	if d := queue.PidGrace - time.Since(start.Add(injected)); d > 0 {
		time.Sleep(d) // pid/ files younger than this are left alone
	}
	leftover := len(in.queueFiles(allDirs...))
	in.start()
	deadline = time.Now().Add(30 * time.Second)
	for len(in.queueFiles(allDirs...)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after a restart the queue still holds %v", in.queueFiles(allDirs...))
		}
		time.Sleep(5 * time.Millisecond)
	}
	in.stop()

	dups := files - len(got)
	bound := int(kills[0].Load()+kills[1].Load())*conc + int(kills[2].Load())
	t.Logf("%d messages injected in %v (%d qmail-queue runs killed or failed), all %d accepted delivered after %v; kills: qmail-send %d, qmail-lspawn %d, qmail-local %d, qmail-queue %d; restarts %d; delivered twice: %d (bound %d); files left before the last restart: %d",
		len(want)+int(failedQ.Load()), injected.Round(time.Millisecond), failedQ.Load(), len(want), time.Since(start).Round(time.Millisecond),
		kills[0].Load(), kills[1].Load(), kills[2].Load(), kills[3].Load(), restarts.Load(), dups, bound, leftover)
	if dups > bound {
		t.Errorf("%d duplicate deliveries, more than the %d kills can explain", dups, bound)
	}
}

func injectOne(qq string, env []string, seq int) (int, error) {
	er, ew, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(qq)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader([]byte("X-Seq: " + strconv.Itoa(seq) + "\n\nmessage " + strconv.Itoa(seq) + "\n"))
	cmd.Stdout = er
	if err := cmd.Start(); err != nil {
		er.Close()
		ew.Close()
		return 0, err
	}
	er.Close()
	ew.Write([]byte("Fcrash@localhost\x00Tjoe@localhost\x00\x00"))
	ew.Close()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// allProcs lists the running processes named name that belong to the
// instance with qmail home home (by QMAILHOME in their environment), so
// that no other test's processes are touched.
func allProcs(name, home string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	mark := []byte("\x00QMAILHOME=" + home + "\x00")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || comm(p) != name || zombie(p) {
			continue
		}
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if bytes.Contains(append([]byte{0}, env...), mark) {
			out = append(out, p)
		}
	}
	return out
}
