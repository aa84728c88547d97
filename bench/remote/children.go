package main

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
)

// children are the injecting processes of one measurement, each in its
// own process group, so that an interrupted bench kills them (and
// postdrop or qmail-queue below them) rather than leave them running.
type children struct {
	mu      sync.Mutex
	running map[*exec.Cmd]bool
	stopped bool
}

var errStopped = errors.New("the measurement was stopped")

// run starts cmd, unless kill came first, and waits for it.
func (c *children) run(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return errStopped
	}
	if err := cmd.Start(); err != nil {
		c.mu.Unlock()
		return err
	}
	if c.running == nil {
		c.running = map[*exec.Cmd]bool{}
	}
	c.running[cmd] = true
	c.mu.Unlock()
	err := cmd.Wait()
	c.mu.Lock()
	delete(c.running, cmd)
	c.mu.Unlock()
	return err
}

// kill ends every running child's group and refuses new ones.
func (c *children) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for cmd := range c.running {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
