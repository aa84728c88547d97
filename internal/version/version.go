// Package version holds the release string, set at build time with
// -ldflags "-X github.com/quail-mta/quail/internal/version.Version=...".
package version

// Version is "dev" in builds that did not set it.
var Version = "dev"
