package main

import (
	enc "encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

// TestLongWorkQuietOffTerminal: with stderr not a terminal, sim and bench
// print their results on stdout and nothing else.
func TestLongWorkQuietOffTerminal(t *testing.T) {
	r := runCLI(t, "sim", "-seeds", "3", "-ops", "30", "-j", "1")
	r.wantCode(t, exitOK, "sim")
	if r.stderr != "" || !strings.Contains(r.stdout, "seeds 3 (from 1), ops/seed 30, types default") || !wantRow(r.stdout, "violations", "0") {
		t.Errorf("sim: stdout %q, stderr %q; want only the summary on stdout", r.stdout, r.stderr)
	}
	r = runCLI(t, "bench", "append", "-n", "32", "-batch", "8", "-g", "2", "-dir", t.TempDir())
	r.wantCode(t, exitOK, "bench append")
	if r.stderr != "" || !strings.Contains(r.stdout, "append: 2 goroutines × 32 entries of 128 B in batches of 8") {
		t.Errorf("bench append: stdout %q, stderr %q; want only the result on stdout", r.stdout, r.stderr)
	}
}

// wantRow reports whether the summary table has a row "what ... n".
func wantRow(out, what, n string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.Join(f[:len(f)-1], " ") == what && f[len(f)-1] == n {
			return true
		}
	}
	return false
}

// TestSimTable: the table names the seeds, the crashes by mode, the faults
// by kind, the damage and the codec checks.
func TestSimTable(t *testing.T) {
	r := runCLI(t, "sim", "-seeds", "8", "-ops", "120")
	r.wantCode(t, exitOK, "sim")
	for _, row := range []string{"seeds", "crashes", "  process crash", "  power loss, ordered", "  power loss, reordered",
		"recoveries", "faults armed", "faults struck", "bit flips", "files damaged at rest", "codec checks", "violations"} {
		if !strings.Contains(r.stdout, "\n"+row+" ") {
			t.Errorf("no row %q:\n%s", row, r.stdout)
		}
	}
	if !wantRow(r.stdout, "seeds", "8") {
		t.Errorf("seeds row:\n%s", r.stdout)
	}
}

// TestSimJSONTypes: --types json runs the campaign over sim/simjson's
// types, and --json prints a summary that reads back.
func TestSimJSONTypes(t *testing.T) {
	r := runCLI(t, "sim", "--types", "json", "-seeds", "12", "-ops", "150", "--json")
	r.wantCode(t, exitOK, "sim --types json --json")
	var s simSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if s.Types != "json" || s.Seeds != 12 || s.OpsPerSeed != 150 || s.Violations != 0 || s.Violation != nil ||
		s.CodecChecks == 0 || s.Crashes == 0 || s.Recoveries == 0 || len(s.FaultsByKind) == 0 {
		t.Errorf("summary %+v", s)
	}
	sum := 0
	for _, n := range s.CrashesByMode {
		sum += n
	}
	if sum != s.Crashes {
		t.Errorf("crashes by mode %v add up to %d, crashes %d", s.CrashesByMode, sum, s.Crashes)
	}
	r = runCLI(t, "sim", "--types", "protobuf")
	r.wantCode(t, exitUsage, "sim --types protobuf")
}

// truncatingID accepts a truncated encoding: the campaign must stop on it.
type truncatingID struct{}

func (truncatingID) Append(dst []byte, id simjson.ID) ([]byte, error) {
	dst = enc.BigEndian.AppendUint64(dst, id.Term)
	return enc.BigEndian.AppendUint64(dst, id.Index), nil
}

func (truncatingID) Decode(src []byte) (simjson.ID, int, error) {
	var b [16]byte
	n := copy(b[:], src)
	return simjson.ID{Term: enc.BigEndian.Uint64(b[:]), Index: enc.BigEndian.Uint64(b[8:])}, n, nil
}

var _ codec.Codec[simjson.ID] = truncatingID{}

// TestSimViolationReport: a violation stops the campaign with exit status
// 1, the one-line replay command and the shrunk operations, in the table's
// report and in the JSON summary.
func TestSimViolationReport(t *testing.T) {
	types := simjson.Types
	types.LogID = truncatingID{}
	s, err := sim.New(types, simjson.Gen)
	if err != nil {
		t.Fatal(err)
	}
	for _, asJSON := range []bool{false, true} {
		var stdout, stderr strings.Builder
		err := campaign(&env{stdout: &stdout, stderr: &stderr}, simOptions{seeds: 5, ops: 60, workers: 2, first: 1, types: "json", json: asJSON}, s)
		if err != errReported {
			t.Fatalf("json=%v: want errReported, got %v", asJSON, err)
		}
		replay := "go run -C cmd/raftlog . sim --types json --seed 1 --seeds 1 --ops 60 --trace"
		if !strings.Contains(stderr.String(), "seed 1 violates an invariant; replay: "+replay) {
			t.Errorf("stderr: %q", stderr.String())
		}
		if !asJSON {
			for _, want := range []string{"replay: " + replay, "accepts a truncated encoding", "shrunk to 1 of "} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("no %q in:\n%s", want, stdout.String())
				}
			}
			continue
		}
		var sum simSummary
		if err := json.Unmarshal([]byte(stdout.String()), &sum); err != nil {
			t.Fatal(err)
		}
		if v := sum.Violation; sum.Violations == 0 || v == nil || v.Seed != 1 || v.Replay != replay || len(v.Shrunk) != 1 ||
			!strings.Contains(v.What, "accepts a truncated encoding") {
			t.Errorf("violation %+v", sum.Violation)
		}
	}
}
