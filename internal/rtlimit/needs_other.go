//go:build !(linux && (amd64 || arm64))

package rtlimit

// runtimeNeeds is not known for this platform: nothing is checked.
func runtimeNeeds() (dataFloor, asFloor, data, as, stack, threads uint64) {
	return 0, 0, 0, 0, 0, 0
}

// Checked reports whether programs built for this platform carry the
// entry routine.
const Checked = false
