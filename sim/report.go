package sim

import (
	"fmt"
	"strings"
)

// Report describes a failing run: the violation, the replay command (given
// by the caller, who knows how the run was started), and a shrunk list of
// operations that still fails, with the violation it ends in.
func (s *Sim[L, P, V, U]) Report(res ResultOf[L, P, V, U], replay string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %v\n", res.Seed, res.Violation)
	fmt.Fprintf(&b, "replay: %s\n", replay)
	small := s.Shrink(res.Seed, res.Ops, 400)
	fmt.Fprintf(&b, "shrunk to %d of %d operations (replay with Sim.Replay(%d, ops, os.Stdout)):\n", len(small), len(res.Ops), res.Seed)
	for i, op := range small {
		fmt.Fprintf(&b, "  %3d %v\n", i, op)
	}
	if r := s.Replay(res.Seed, small, nil); r.Violation != nil {
		fmt.Fprintf(&b, "which fails with: %v\n", r.Violation)
	}
	return b.String()
}

// Shrink removes operations from a failing run while it still fails,
// halving the chunks it tries to remove down to single operations, with at
// most budget replays.
func (s *Sim[L, P, V, U]) Shrink(seed uint64, ops []OpOf[L, P, V, U], budget int) []OpOf[L, P, V, U] {
	fails := func(candidate []OpOf[L, P, V, U]) bool {
		budget--
		return s.Replay(seed, candidate, nil).Violation != nil
	}
	cur := append([]OpOf[L, P, V, U](nil), ops...)
	for chunk := len(cur) / 2; chunk >= 1 && budget > 0; chunk /= 2 {
		for i := 0; i+chunk <= len(cur) && budget > 0; {
			candidate := append(append([]OpOf[L, P, V, U](nil), cur[:i]...), cur[i+chunk:]...)
			if fails(candidate) {
				cur = candidate
			} else {
				i += chunk
			}
		}
	}
	return cur
}
