// Package failpoint marks the moments in raftlog where a crash or an I/O
// error matters, so that tests can inject one there.
//
// The default build compiles every hook to nothing: a storage library must
// not link github.com/pingcap/failpoint into its users' programs (it pulls in
// net/http and its init exits the process on a malformed GO_FAILPOINTS).
// Built with -tags failpoint, each hook evaluates the pingcap failpoint of the
// same name, so GO_FAILPOINTS or failpoint.Enable drive it with the usual
// terms: "return(true)", "return(\"message\")", "panic", "1*return(true)",
// "50%return(true)", "sleep(10)", "2*off->panic". A "return" needs a value:
// pingcap/failpoint cannot tell a bare "return" from "off".
//
// Names are the module path, the package and the moment, e.g.
// "github.com/raftlog/raftlog/wal/beforeFsync"; [Name] builds them. The
// list is public API: package crashtest exports each name as a constant
// (crashtest.Failpoints), docs/testing.md documents them, and crashtest's
// TestFailpointNamesAreTheAPI fails when the Inject calls disagree with both.
package failpoint

import "errors"

// Prefix is prepended to every failpoint name.
const Prefix = "github.com/raftlog/raftlog/"

// Name returns the full failpoint name for a short one like "wal/beforeFsync".
func Name(short string) string { return Prefix + short }

// ErrInjected is wrapped by the error that a "return" term makes Inject
// return.
var ErrInjected = errors.New("failpoint: injected error")
