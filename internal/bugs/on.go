//go:build simbugs

package bugs

import "sync/atomic"

// Enabled reports whether this build can switch bugs on.
const Enabled = true

var on [numBugs]atomic.Bool

// On reports whether b is switched on.
func On(b Bug) bool { return on[b].Load() }

// Set switches b on or off.
func Set(b Bug, v bool) { on[b].Store(v) }
