package stats

import "testing"

func TestBoundedMap(t *testing.T) {
	m := newBoundedMap[int, string](2)
	if r, e := m.put(1, "a"); r || e {
		t.Fatal("first put replaced or evicted")
	}
	m.put(2, "b")
	if r, e := m.put(1, "a2"); !r || e {
		t.Fatal("putting a key again must replace, not evict")
	}
	// 1 was put again, so 2 is now the oldest and goes first.
	if r, e := m.put(3, "c"); r || !e {
		t.Fatal("a third key must evict")
	}
	if _, ok := m.get(2); ok {
		t.Fatal("the oldest entry was not the one evicted")
	}
	if v, ok := m.take(1); !ok || v != "a2" {
		t.Fatalf("take(1) = %q, %v", v, ok)
	}
	if _, ok := m.take(1); ok {
		t.Fatal("take must remove")
	}
	if m.len() != 1 {
		t.Fatalf("len %d, want 1", m.len())
	}
	m.clear()
	if m.len() != 0 || m.order.Len() != 0 {
		t.Fatal("clear left entries")
	}
}

func TestTableOverflowAndTop(t *testing.T) {
	tb := newTable[uint64](2)
	*tb.row("b")++
	*tb.row("a")++
	*tb.row("b")++
	*tb.row("c")++ // full: goes to other
	*tb.row("a")++
	rows, rest, used := tb.top(1, weightCount, sumCount)
	if len(rows) != 1 || rows[0].name != "a" || *rows[0].v != 2 {
		t.Fatalf("top = %+v; want a (ties by name)", rows)
	}
	if !used || rest != 3 || tb.overflow != 1 {
		t.Fatalf("rest %d used %v overflow %d; want b's 2 + c's 1", rest, used, tb.overflow)
	}
	if _, _, used := newTable[uint64](5).top(5, weightCount, sumCount); used {
		t.Fatal("an empty table has no rest")
	}
}
