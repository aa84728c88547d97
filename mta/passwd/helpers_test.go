package passwd

import (
	"io/fs"
	"os"
)

func writeFileMode(p, text string, mode fs.FileMode) error {
	return os.WriteFile(p, []byte(text), mode)
}

func statMode(p string) (fs.FileMode, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return st.Mode().Perm(), nil
}
