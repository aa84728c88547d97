package quail

import (
	"os"
	"path/filepath"
)

// StartWithControl is Start with further control files (name to
// contents, a newline added), written before qmail-start runs: qmail-send
// reads some of them, concurrencyremote among them, only when it starts.
// Start's own control files (me, locals, rcpthosts, singleuser) win over
// the same names here.
func StartWithControl(dir, bin string, control map[string]string) (*Instance, error) {
	cdir := filepath.Join(dir, "qmail", "control")
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, err
	}
	for name, body := range control {
		if err := os.WriteFile(filepath.Join(cdir, name), []byte(body+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	return Start(dir, bin)
}
