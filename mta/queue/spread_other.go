//go:build !linux

package queue

func spreadSubdirs(dir string) {}
