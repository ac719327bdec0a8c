package soak

import (
	"strings"
	"testing"
)

func TestCheckGoals(t *testing.T) {
	good := Figures{Requests: 10, FDsBefore: 14, FDsAfter: 14, RSSGrowthPct: 1.5, Oversized: 2}
	if err := Check(&good); err != nil {
		t.Errorf("good figures failed: %v", err)
	}
	for name, f := range map[string]Figures{
		"errors":            {Errors: 1},
		"fd leak":           {FDsBefore: 14, FDsAfter: 15},
		"RSS growth":        {RSSGrowthPct: 5},
		"a dropped wakeup":  {WakeupsDropped: 1},
		"reordered wakeups": {WakeupsOutOfOrder: 1},
		"no 413":            {Oversized: 1, OversizedNo413: 1},
		"truncated":         {Oversized: 1, Truncated: 1},
	} {
		if err := Check(&f); err == nil || !strings.Contains(err.Error(), "goals missed") {
			t.Errorf("%s: Check = %v, want a missed goal", name, err)
		}
	}
}
