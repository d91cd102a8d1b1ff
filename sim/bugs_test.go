//go:build simbugs

package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/internal/bugs"
)

// maxSeedsToCatch is the promise: each deliberate bug is caught within this
// many seeds of the quick workload.
const maxSeedsToCatch = 2000

// TestBugsAreCaught switches on each deliberate engine bug in turn and
// requires the simulator to find a violation within maxSeedsToCatch seeds.
// It needs -tags simbugs (the default build cannot switch bugs on).
func TestBugsAreCaught(t *testing.T) {
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %s\n", "bug", "first failing seed (seeds run)")
	for _, b := range bugs.All() {
		bugs.Set(b, true)
		caught := uint64(0)
		var first Result
		for s := uint64(1); s <= maxSeedsToCatch; s++ {
			if res := Run(Config{Seed: s, Ops: 200}); res.Violation != nil {
				caught, first = s, res
				break
			}
		}
		bugs.Set(b, false)
		if caught == 0 {
			t.Errorf("bug %v: no violation in %d seeds", b, maxSeedsToCatch)
			fmt.Fprintf(&table, "%-26s not caught in %d\n", b, maxSeedsToCatch)
			continue
		}
		fmt.Fprintf(&table, "%-26s %d   (%v)\n", b, caught, first.Violation.What[:min(len(first.Violation.What), 90)])
	}
	t.Log("\n" + table.String())
}
