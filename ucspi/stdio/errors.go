package stdio

import (
	"errors"
	"io/fs"
)

// cause strips the operation and path an os error repeats.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
