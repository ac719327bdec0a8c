package soak

import (
	"strings"
	"testing"
)

func TestCheckGoals(t *testing.T) {
	good := Figures{Requests: 10, FDsBefore: 14, FDsAfter: 14, RSSGrowthPct: 1.5, WakeupsDropped: 3, OversizedNo413: 2}
	if err := Check(&good); err != nil && !WakeupDropsGate && !OversizedGate {
		t.Errorf("good figures failed: %v", err)
	}
	for name, f := range map[string]Figures{
		"errors":     {Errors: 1},
		"fd leak":    {FDsBefore: 14, FDsAfter: 15},
		"RSS growth": {RSSGrowthPct: 5},
	} {
		if err := Check(&f); err == nil || !strings.Contains(err.Error(), "goals missed") {
			t.Errorf("%s: Check = %v, want a missed goal", name, err)
		}
	}
	if err := Check(&Figures{WakeupsDropped: 1}); (err != nil) != WakeupDropsGate {
		t.Errorf("a dropped wakeup: Check = %v with the gate %v", err, WakeupDropsGate)
	}
	if err := Check(&Figures{Oversized: 1, OversizedNo413: 1}); (err != nil) != OversizedGate {
		t.Errorf("an oversized request without 413: Check = %v with the gate %v", err, OversizedGate)
	}
}
