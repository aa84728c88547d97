//go:build linux && (amd64 || arm64)

package rtlimit

// runtimeNeeds returns rtlimit.h's numbers.
func runtimeNeeds() (dataFloor, asFloor, data, as, stack, threads uint64)

// Checked reports whether programs built for this platform carry the
// entry routine.
const Checked = true
