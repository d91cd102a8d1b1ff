//go:build failpoint

package failpoint

import (
	"fmt"

	"github.com/pingcap/failpoint"
)

// Enabled reports whether this build evaluates failpoints.
const Enabled = true

// Inject evaluates the failpoint named Prefix+name. A "return" term with a
// value ("return(true)", "return(\"disk gone\")") makes it return an error
// wrapping ErrInjected with the value in the message; "panic" and "sleep"
// act inside. pingcap/failpoint gives "off" and a bare "return" the same nil
// value, so both, like a disabled failpoint, make Inject return nil.
func Inject(name string) error {
	v, err := failpoint.Eval(Prefix + name)
	if err != nil || v == nil {
		return nil // not enabled, not this time ("1*return(true)" spent), or "off"
	}
	return fmt.Errorf("%w at %s: %v", ErrInjected, name, v)
}
