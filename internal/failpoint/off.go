//go:build !failpoint

package failpoint

// Enabled reports whether this build evaluates failpoints.
const Enabled = false

// Inject evaluates the failpoint named Prefix+name. In the default build it
// does nothing and returns nil; the compiler removes the call.
func Inject(name string) error { return nil }
