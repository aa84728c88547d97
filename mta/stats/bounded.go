package stats

import "container/list"

// boundedMap holds per-message or per-delivery state with a cap: when full,
// putting a new key evicts the entry put longest ago, whose end was
// presumably lost (a truncated or deleted log). Take removes an entry when
// its end is seen, so a healthy log keeps only what is in flight.
type boundedMap[K comparable, V any] struct {
	limit int
	index map[K]*list.Element
	order list.List // of *entry[K, V], oldest first
}

type entry[K comparable, V any] struct {
	key K
	val V
}

func newBoundedMap[K comparable, V any](limit int) *boundedMap[K, V] {
	return &boundedMap[K, V]{limit: limit, index: make(map[K]*list.Element)}
}

// put stores v under k. replaced says k was already there (its old value
// is gone); evicted says the oldest entry made room.
func (m *boundedMap[K, V]) put(k K, v V) (replaced, evicted bool) {
	if e, ok := m.index[k]; ok {
		m.order.Remove(e)
		replaced = true
	} else if len(m.index) >= m.limit {
		oldest := m.order.Front()
		m.order.Remove(oldest)
		delete(m.index, oldest.Value.(*entry[K, V]).key)
		evicted = true
	}
	m.index[k] = m.order.PushBack(&entry[K, V]{k, v})
	return replaced, evicted
}

// get returns the value stored under k.
func (m *boundedMap[K, V]) get(k K) (v V, ok bool) {
	e, ok := m.index[k]
	if !ok {
		return v, false
	}
	return e.Value.(*entry[K, V]).val, true
}

// take removes and returns the value stored under k.
func (m *boundedMap[K, V]) take(k K) (v V, ok bool) {
	e, ok := m.index[k]
	if !ok {
		return v, false
	}
	m.order.Remove(e)
	delete(m.index, k)
	return e.Value.(*entry[K, V]).val, true
}

func (m *boundedMap[K, V]) len() int { return len(m.index) }

// clear forgets everything.
func (m *boundedMap[K, V]) clear() {
	m.index = make(map[K]*list.Element)
	m.order.Init()
}
