package cdbmake

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/colinmarc/cdb"
)

func TestWriteFileIsReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.cdb")
	err := WriteFile(path, func(add func(k, v []byte) error) error {
		for _, kv := range [][2]string{{"a", "1"}, {"bb", ""}, {"a", "second"}} {
			if err := add([]byte(kv[0]), []byte(kv[1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := cdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Get([]byte("a")); string(v) != "1" {
		t.Errorf("first record of a duplicate key must win: %q", v)
	}
	if v, _ := db.Get([]byte("bb")); v == nil || len(v) != 0 {
		t.Errorf("empty value: %q", v)
	}
	if v, _ := db.Get([]byte("none")); v != nil {
		t.Errorf("missing key found: %q", v)
	}
}

func TestWriteFileFailureKeepsTheOldTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.cdb")
	os.WriteFile(path, []byte("old"), 0644)
	boom := errors.New("boom")
	err := WriteFile(path, func(add func(k, v []byte) error) error {
		add([]byte("x"), []byte("y"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("old table changed: %q", b)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind")
	}
}

func TestHash(t *testing.T) {
	// djb's hash of "" is its seed; of "a" it is 5381*33 ^ 'a'.
	if Hash(nil) != 5381 || Hash([]byte("a")) != (5381*33)^'a' {
		t.Fatalf("hash")
	}
}
