package sim_test

import (
	"fmt"

	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

// A run over a user's types: simjson's structs through codec.JSON, every
// value's codec checked, the log compared with the model byte for byte
// through those codecs after every crash and recovery.
func ExampleNew() {
	s, err := sim.New(simjson.Types, simjson.Gen)
	if err != nil {
		fmt.Println(err)
		return
	}
	res := s.Run(sim.Config{Seed: 7, Ops: 150})
	fmt.Println("violation:", res.Violation)
	fmt.Println("crashed and recovered:", res.Crashes > 0 && res.Recoveries > res.Crashes)
	fmt.Println("codecs checked:", res.CodecChecks > 0)
	// Output:
	// violation: <nil>
	// crashed and recovered: true
	// codecs checked: true
}
