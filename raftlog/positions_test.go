package raftlog

import (
	"math/rand/v2"
	"testing"

	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// TestPositionsMatchAPlainColumn drives the index through random pushes
// (back to back, after a gap, across 4 GiB in one block), summaries,
// truncations, purges and resets, and checks every position it holds
// against a plain list after each step: the sizes the index no longer
// stores must come back exactly.
func TestPositionsMatchAPlainColumn(t *testing.T) {
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed, 7))
		x := &index[LogID]{withIndex: DefaultTypes.WithIndex, same: func(a, b LogID) bool { return a == b }}
		var model []wal.Position // model[k] is entry first+k
		first, end := uint64(1), uint64(1)
		next := uint64(4096) // where the next record goes
		nextPos := func(huge bool) wal.Position {
			switch rng.IntN(10) {
			case 0: // another record (a vote, a seal) in between
				next += uint64(1 + rng.IntN(100))
			case 1:
				if huge && rng.IntN(20) == 0 { // a block that spans more than 4 GiB
					next += 5 << 30
				}
			}
			p := wal.Position{Offset: next, Size: uint32(20 + rng.IntN(5000))}
			next = p.End()
			return p
		}
		check := func(step int) {
			require.Equal(t, first, x.first, "seed %d step %d", seed, step)
			require.Equal(t, len(model), x.n, "seed %d step %d", seed, step)
			for k, want := range model {
				// All of them now and then; else the ends and a sample.
				if step%20 == 0 || k < 3 || k >= len(model)-3 || rng.IntN(100) == 0 {
					require.Equal(t, want, x.pos(first+uint64(k)), "seed %d step %d entry %d", seed, step, first+uint64(k))
				}
			}
			if len(model) == 0 {
				return
			}
			// A summary's view of a run of them, as a seal takes it.
			k0 := rng.IntN(len(model))
			m := 1 + rng.IntN(len(model)-k0)
			chunk := model[k0].Offset - uint64(rng.IntN(100))
			var offsets []byte
			var gaps []uint64
			for k := k0; k < k0+m; k++ {
				offsets = appendU32(offsets, uint32(model[k].Offset-chunk))
				if k+1 < k0+m && model[k].End() != model[k+1].Offset {
					gaps = append(gaps, uint64(k-k0), uint64(model[k].Size))
				}
			}
			s0 := x.slot(first + uint64(k0))
			require.Equal(t, offsets, x.positions.appendOffsets(nil, s0, m, chunk), "seed %d step %d: offsets of %d from entry %d", seed, step, m, first+uint64(k0))
			require.Equal(t, gaps, x.positions.appendGaps(nil, s0, m), "seed %d step %d: gaps of %d from entry %d", seed, step, m, first+uint64(k0))
		}
		for step := range 200 {
			switch op := rng.IntN(20); {
			case op < 12: // push a few
				for range 1 + rng.IntN(3000) {
					p := nextPos(true)
					x.push(end, LogID{Term: 1, Index: end}, p)
					model = append(model, p)
					end++
				}
			case op < 14: // a summary's worth
				n := 1 + rng.IntN(5000)
				chunk := next
				offsets, sizes := make([]byte, 0, 4*n), make([]byte, 0, 4*n)
				for range n {
					p := nextPos(false) // a chunk's offsets are 32 bits
					offsets = appendU32(offsets, uint32(p.Offset-chunk))
					sizes = appendU32(sizes, p.Size)
					model = append(model, p)
				}
				var s summary[LogID, Vote, []byte]
				s.n = uint64(n)
				require.NoError(t, decodeSizes(&s, append(offsets, sizes...), func(string) error { return errSummary }))
				c := chunkPositions{chunk: chunk, offsets: s.offsets, gaps: s.gaps, last: s.lastSize}
				x.pushSummary(end, c, nil, []idRun[LogID]{{start: end, id: LogID{Term: 1, Index: end}}})
				end += uint64(n)
			case op < 17 && len(model) > 0: // truncate
				i := first + uint64(rng.IntN(len(model)))
				x.truncate(i)
				model = model[:i-first]
				end = i
				if len(model) == 0 {
					first = i
				}
			case op < 19 && len(model) > 0: // purge
				i := first + uint64(rng.IntN(len(model)))
				x.purge(i)
				model = model[i+1-first:]
				first = i + 1
			default:
				x.reset(end)
				model, first = nil, end
			}
			check(step)
		}
	}
}

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// TestPositionsCostFourBytesAnEntry: entries written back to back cost 4
// bytes each, an entry followed by another record 8 more.
func TestPositionsCostFourBytesAnEntry(t *testing.T) {
	x := cxBuildIndex(blockSize*10, 1<<40)
	require.Equal(t, int64(blockSize*10*4), x.positions.memBytes())
	var p positions
	for s := range blockSize {
		p.push(s, wal.Position{Offset: uint64(s) * 100, Size: 50}, s > 0)
	}
	require.Equal(t, int64(blockSize*4), p.memBytes()-int64(cap(p.blocks[0].gaps))*8)
	require.Len(t, p.blocks[0].gaps, blockSize-1)
	require.Equal(t, wal.Position{Offset: 700, Size: 50}, p.at(7, blockSize-1))
}
