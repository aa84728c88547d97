package setup

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/ucspi/rules"
)

// compileRules does what "tcprules dst dst.tmp < src" does.
func compileRules(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = rules.Compile(in, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return durable.SyncDir(filepath.Dir(dst))
}

// rebuildRules recompiles every tcprules file of QMAILHOME/tcp: the one
// command after editing one (quail-setup -r).
func (in *installer) rebuildRules(o owners) error {
	ents, err := os.ReadDir(in.cfg.homePath("tcp"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && !strings.Contains(n, ".") {
			if err := in.rules(n, o, true); err != nil {
				return err
			}
		}
	}
	return nil
}
