//go:build !simbugs

package bugs

// Enabled reports whether this build can switch bugs on.
const Enabled = false

// On reports whether b is switched on: never, in this build.
func On(b Bug) bool { return false }
