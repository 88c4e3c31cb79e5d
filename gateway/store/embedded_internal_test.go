package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Creates that nobody waited for leave nothing in memory: a gateway taking
// thousands of distinct creates a second must not grow (the bench once
// saw 5 GB when every outcome was kept).
func TestLeasesDoNotGrow(t *testing.T) {
	e, _ := OpenEmbedded("")
	ctx := context.Background()
	for i := range 10000 {
		name, owner := fmt.Sprint("create/t/User/u", i), fmt.Sprint("o", i)
		c, err := Wait(ctx, e, name, owner, time.Minute)
		if err != nil || !c.Ours {
			t.Fatal(c, err)
		}
		if err := e.Settle(ctx, name, owner, Outcome{Status: 201, Body: make([]byte, 1500)}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.rows) + len(e.waits); n != 0 {
		t.Fatalf("%d entries left after 10000 uncontended creates", n)
	}
}
