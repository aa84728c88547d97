package local

import (
	"bufio"
	"bytes"
	"io"
)

// HasLine says whether the header of the message in r (the lines before
// the first empty line) contains exactly line, its newline included. This
// is qmail-local's loop check with its own Delivered-To line. Lines longer
// than the reader's buffer cannot be line and are skipped.
func HasLine(r io.Reader, line []byte) (bool, error) {
	br := bufio.NewReaderSize(r, 4096+len(line))
	for {
		l, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			continue
		}
		if err == io.EOF {
			return false, nil // a last line without newline ends the header
		}
		if err != nil {
			return false, err
		}
		if len(l) <= 1 {
			return false, nil
		}
		if bytes.Equal(l, line) {
			return true, nil
		}
	}
}
