//go:build failpoint

package failpoint

import (
	"fmt"

	"github.com/pingcap/failpoint"
)

// Enabled reports whether this build evaluates failpoints.
const Enabled = true

// Inject evaluates the failpoint named Prefix+name. A "return" term makes it
// return an error wrapping ErrInjected (with the term's value, if any, in the
// message); "panic" and "sleep" act inside; a disabled failpoint returns nil.
func Inject(name string) error {
	v, err := failpoint.Eval(Prefix + name)
	if err != nil {
		return nil // not enabled, or not this time (e.g. "1*return" spent)
	}
	return fmt.Errorf("%w at %s: %v", ErrInjected, name, v)
}
