package manage

import (
	"io"
	"os"
)

func readAll(f *os.File) ([]byte, error) { return io.ReadAll(io.LimitReader(f, 64<<20)) }
