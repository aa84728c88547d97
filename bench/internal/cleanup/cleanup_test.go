package cleanup

import (
	"reflect"
	"testing"
)

func TestStack(t *testing.T) {
	var got []int
	var c Stack
	c.Add(func() { got = append(got, 1) })
	now := c.Push(func() { got = append(got, 2) })
	c.Add(func() { got = append(got, 3) })
	now()
	c.Run()
	c.Run()
	if want := []int{2, 3, 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ran %v, want %v (pushed one once, then last first, once)", got, want)
	}
}
