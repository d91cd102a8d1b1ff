package sim

import (
	"fmt"
	"strings"
)

// Report describes a failing run: the violation, the command that replays
// it, and a shrunk list of operations that still fails.
func Report(res Result, ops int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %v\n", res.Seed, res.Violation)
	fmt.Fprintf(&b, "replay: go test ./sim -run 'TestSim$' -seed=%d -ops=%d -v\n", res.Seed, ops)
	small := Shrink(res.Seed, res.Ops, 400)
	fmt.Fprintf(&b, "shrunk to %d of %d operations (replay with sim.Replay(%d, ops, os.Stdout)):\n", len(small), len(res.Ops), res.Seed)
	for i, op := range small {
		fmt.Fprintf(&b, "  %3d %v\n", i, op)
	}
	if r := Replay(res.Seed, small, nil); r.Violation != nil {
		fmt.Fprintf(&b, "which fails with: %v\n", r.Violation)
	}
	return b.String()
}

// Shrink removes operations from a failing run while it still fails,
// halving the chunks it tries to remove down to single operations, with at
// most budget replays.
func Shrink(seed uint64, ops []Op, budget int) []Op {
	fails := func(candidate []Op) bool {
		budget--
		return Replay(seed, candidate, nil).Violation != nil
	}
	cur := append([]Op(nil), ops...)
	for chunk := len(cur) / 2; chunk >= 1 && budget > 0; chunk /= 2 {
		for i := 0; i+chunk <= len(cur) && budget > 0; {
			candidate := append(append([]Op(nil), cur[:i]...), cur[i+chunk:]...)
			if fails(candidate) {
				cur = candidate
			} else {
				i += chunk
			}
		}
	}
	return cur
}
