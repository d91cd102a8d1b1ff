package simjson_test

import (
	"testing"

	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

// TestCampaign runs the crash-simulation campaign over the JSON type set:
// every check the default types get, through these codecs, byte for byte.
// 40 seeds here (under -race too); .ci/simgen runs 200 through the tool,
// and `raftlog sim --types json -seeds N` a long campaign.
func TestCampaign(t *testing.T) {
	sim.Check(t, simjson.Types, simjson.Gen, sim.Seeds(40))
}
