package chain

import "strings"

// applyEnv builds a child's environment the way djb's pathexec does from
// the edits its callers queue with pathexec_env: an edit "NAME=value" sets,
// a bare "NAME" unsets. The name is what precedes the first '=', so a file
// called "A=B" in an envdir directory sets A. Each edit removes only the
// first entry of that name (moving the last entry into its place) and
// appends the new one, which keeps the original's result even for an
// environment that holds a name twice.
func applyEnv(environ []string, edits []string) []string {
	e := make([]string, len(environ), len(environ)+len(edits))
	copy(e, environ)
	for _, edit := range edits {
		split := strings.IndexByte(edit, '=')
		if split < 0 {
			split = len(edit)
		}
		name := edit[:split]
		for t := range e {
			if len(e[t]) > split && e[t][split] == '=' && e[t][:split] == name {
				last := len(e) - 1
				e[t] = e[last]
				e = e[:last]
				break
			}
		}
		if split < len(edit) {
			e = append(e, edit)
		}
	}
	return e
}
