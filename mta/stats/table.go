package stats

import (
	"cmp"
	"slices"
)

// table counts per name (a domain, a reason) with a cap on the number of
// names: once full, a new name's figures go to other, so a log full of
// distinct names cannot grow it.
type table[V any] struct {
	limit    int
	rows     map[string]*V
	other    V
	overflow uint64 // additions that went to other
}

func newTable[V any](limit int) *table[V] {
	return &table[V]{limit: limit, rows: make(map[string]*V)}
}

// row returns the figures for name, or other when the table is full.
func (t *table[V]) row(name string) *V {
	if v, ok := t.rows[name]; ok {
		return v
	}
	if len(t.rows) >= t.limit {
		t.overflow++
		return &t.other
	}
	v := new(V)
	t.rows[name] = v
	return v
}

type namedRow[V any] struct {
	name string
	v    *V
}

// top returns the n rows with the largest weight, ties by name, and the
// sum of the others (those beyond n and those that overflowed) folded with
// add into rest.
func (t *table[V]) top(n int, weight func(*V) uint64, add func(dst, src *V)) (rows []namedRow[V], rest V, restUsed bool) {
	for name, v := range t.rows {
		rows = append(rows, namedRow[V]{name, v})
	}
	slices.SortFunc(rows, func(a, b namedRow[V]) int {
		if c := cmp.Compare(weight(b.v), weight(a.v)); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	restUsed = t.overflow > 0
	add(&rest, &t.other)
	if n >= 0 && len(rows) > n {
		for _, r := range rows[n:] {
			add(&rest, r.v)
		}
		rows, restUsed = rows[:n], true
	}
	return rows, rest, restUsed
}
