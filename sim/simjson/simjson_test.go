package simjson_test

import (
	"testing"

	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

// TestCampaign runs the crash-simulation campaign over the JSON type set:
// every check the default types get, through these codecs, byte for byte.
// `raftlog sim --types json -seeds N` runs a long one.
func TestCampaign(t *testing.T) {
	sim.Check(t, simjson.Types, simjson.Gen, sim.Seeds(100))
}
