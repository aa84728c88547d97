// Package cdbmake writes constant databases (https://cr.yp.to/cdb/cdb.txt)
// exactly as djb's cdb_make does, so that a table built by quail is
// byte-identical to one built by the C tools from the same records in the
// same order (tcprules, qmail-newu, qmail-newmrh): records from offset
// 2048, then for each of the 256 tables, in order, 2*count slots filled by
// linear probing from (hash>>8) % len in insertion order, then the header
// of (position, length) pairs.
//
// colinmarc/cdb's writer decides that a slot is free by its hash being
// zero, which loses a key whose hash is zero; cdb_make looks at the
// position, which is never zero. Reading stays with colinmarc/cdb.
package cdbmake

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// Writer builds one cdb.
type Writer struct {
	dst    io.WriterAt
	buf    *bufio.Writer
	pos    uint32
	tables [256][]slot
}

type slot struct{ hash, pos uint32 }

// HeaderSize is the size of the table of tables at the start of a cdb.
const HeaderSize = 2048

var ErrTooBig = errors.New("cdb would exceed 4 GiB")

// offsetWriter turns an io.WriterAt into a sequential writer from an offset.
type offsetWriter struct {
	w   io.WriterAt
	off int64
}

func (o *offsetWriter) Write(p []byte) (int, error) {
	n, err := o.w.WriteAt(p, o.off)
	o.off += int64(n)
	return n, err
}

// New starts a cdb written to dst.
func New(dst io.WriterAt) *Writer {
	return &Writer{
		dst: dst,
		buf: bufio.NewWriterSize(&offsetWriter{dst, HeaderSize}, 64<<10),
		pos: HeaderSize,
	}
}

// Hash is the cdb hash function.
func Hash(b []byte) uint32 {
	h := uint32(5381)
	for _, c := range b {
		h = (h<<5 + h) ^ uint32(c)
	}
	return h
}

func (w *Writer) grow(n uint64) error {
	if uint64(w.pos)+n > 0xffffffff {
		return ErrTooBig
	}
	w.pos += uint32(n)
	return nil
}

// Add appends one record. Duplicate keys are kept; a reader finds the first.
func (w *Writer) Add(key, value []byte) error {
	h := Hash(key)
	start := w.pos
	if err := w.grow(8 + uint64(len(key)) + uint64(len(value))); err != nil {
		return err
	}
	var lens [8]byte
	binary.LittleEndian.PutUint32(lens[0:], uint32(len(key)))
	binary.LittleEndian.PutUint32(lens[4:], uint32(len(value)))
	w.buf.Write(lens[:])
	w.buf.Write(key)
	if _, err := w.buf.Write(value); err != nil {
		return err
	}
	w.tables[h&255] = append(w.tables[h&255], slot{h, start})
	return nil
}

// Finish writes the hash tables and the header.
func (w *Writer) Finish() error {
	var header [HeaderSize]byte
	var pair [8]byte
	for i := range w.tables {
		entries := w.tables[i]
		n := uint32(len(entries)) * 2
		binary.LittleEndian.PutUint32(header[i*8:], w.pos)
		binary.LittleEndian.PutUint32(header[i*8+4:], n)
		slots := make([]slot, n)
		for _, e := range entries {
			where := (e.hash >> 8) % n
			for slots[where].pos != 0 {
				where++
				if where == n {
					where = 0
				}
			}
			slots[where] = e
		}
		if err := w.grow(8 * uint64(n)); err != nil {
			return err
		}
		for _, s := range slots {
			binary.LittleEndian.PutUint32(pair[0:], s.hash)
			binary.LittleEndian.PutUint32(pair[4:], s.pos)
			w.buf.Write(pair[:])
		}
	}
	if err := w.buf.Flush(); err != nil {
		return err
	}
	_, err := w.dst.WriteAt(header[:], 0)
	return err
}
