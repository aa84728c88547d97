// Package cleanup runs a benchmark's stop functions once, last added
// first, whether the benchmark ends normally, fails or is interrupted; a
// second Run waits for the first, so that the process does not exit
// halfway through stopping Postfix or removing a directory.
package cleanup

import "sync"

// Stack holds the stop functions.
type Stack struct {
	mu      sync.Mutex
	fns     []func()
	running sync.Mutex
}

// Add registers f.
func (c *Stack) Add(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, f)
}

// Push registers f and returns a function that runs it now, once.
func (c *Stack) Push(f func()) func() {
	var once sync.Once
	g := func() { once.Do(f) }
	c.Add(g)
	return g
}

// Run runs and forgets every registered function, last first.
func (c *Stack) Run() {
	c.running.Lock()
	defer c.running.Unlock()
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
