package hashicorpraft

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/raftlog"
)

// The stable-store keys hashicorp/raft writes: its current term, and the
// term and candidate of its last vote. Migrate copies them.
var (
	KeyCurrentTerm  = []byte("CurrentTerm")
	KeyLastVoteTerm = []byte("LastVoteTerm")
	KeyLastVoteCand = []byte("LastVoteCand")
)

// MigrateOptions tunes Migrate. The zero value copies hashicorp/raft's own
// keys in 1 MiB batches.
type MigrateOptions struct {
	// BatchBytes is the payload bytes gathered into each StoreLogs call
	// (one fsync each); 0 means 1 MiB.
	BatchBytes int
	// Keys and Uint64Keys name stable-store keys to copy besides
	// hashicorp/raft's own, read with Get and GetUint64 respectively
	// (raft.StableStore cannot list its keys). raft-boltdb and raft-wal
	// encode uint64s differently, so a key written with SetUint64 must be
	// named in Uint64Keys.
	Keys, Uint64Keys [][]byte
	// Progress, if not nil, is called after each batch with the entries
	// copied so far and the total.
	Progress func(copied, total uint64)
}

// MigrateResult says what Migrate copied.
type MigrateResult struct {
	// First and Last are the indexes of the first and last entries
	// copied, both 0 when the source held none.
	First, Last uint64
	// Keys are the stable-store keys copied; keys the source does not
	// hold are skipped.
	Keys []string
}

// Migrate copies every entry of src and the stable-store keys of stable
// (hashicorp/raft's own and those opts names) into dst, which must be
// empty (else ErrNotEmpty), and returns once all of it is durable. src and
// stable may be any implementation (raft-boltdb's BoltStore and raft-wal's
// WAL are both), and must not be in use meanwhile. A key the source does
// not hold (nil from Get, an error reading "not found" as raft-boltdb
// returns, or a zero uint64 whose Get finds nothing) is not copied.
//
// Migrate into a new directory and switch the node over only when it
// returns nil: a failed or interrupted migration leaves a partial store,
// to be deleted before trying again (Migrate refuses a non-empty one).
// ctx cancels between batches.
func Migrate(ctx context.Context, dst *Store, src raft.LogStore, stable raft.StableStore, opts MigrateOptions) (MigrateResult, error) {
	var res MigrateResult
	// First: a poisoned destination's state may hold writes that failed.
	if err := dst.live(); err != nil {
		return res, fmt.Errorf("hashicorpraft: migrate into %s: %w", dst.Dir(), err)
	}
	st := dst.log.State()
	if st.Last.IsSome() || len(st.UserData.Value()) > 0 {
		return res, fmt.Errorf("%w: %s holds last entry %v and %d stable keys", ErrNotEmpty, dst.Dir(), st.Last, len(st.UserData.Value()))
	}
	kv, err := readStable(stable, opts)
	if err != nil {
		return res, err
	}
	if res.First, res.Last, err = copyLogs(ctx, dst, src, opts); err != nil {
		return res, err
	}
	if len(kv) > 0 {
		if _, err := dst.log.SaveUserData(raftlog.Some(kv)); err != nil {
			return res, fmt.Errorf("hashicorpraft: migrate: save %d stable keys: %w", len(kv), err)
		}
		if err := dst.sync(); err != nil {
			return res, fmt.Errorf("hashicorpraft: migrate: sync stable keys: %w", err)
		}
	}
	res.Keys = dst.Keys()
	return res, nil
}

// copyLogs copies src's entries into dst in batches, each durable before
// the next is read, so the cache never holds more than a batch.
func copyLogs(ctx context.Context, dst *Store, src raft.LogStore, opts MigrateOptions) (first, last uint64, err error) {
	if first, err = src.FirstIndex(); err != nil {
		return 0, 0, fmt.Errorf("hashicorpraft: migrate: source first index: %w", err)
	}
	if last, err = src.LastIndex(); err != nil {
		return 0, 0, fmt.Errorf("hashicorpraft: migrate: source last index: %w", err)
	}
	if first == 0 || last < first {
		return 0, 0, nil
	}
	limit := opts.BatchBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	total := last - first + 1
	var batch []*raft.Log
	size := 0
	for i := first; i <= last; i++ {
		l := new(raft.Log)
		if err := src.GetLog(i, l); err != nil {
			return 0, 0, fmt.Errorf("hashicorpraft: migrate: source entry %d of [%d, %d]: %w", i, first, last, err)
		}
		batch = append(batch, l)
		size += len(l.Data) + len(l.Extensions) + entryOverhead
		if size < limit && i < last {
			continue
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, fmt.Errorf("hashicorpraft: migrate: stopped before entry %d: %w", batch[0].Index, err)
		}
		if err := dst.StoreLogs(batch); err != nil {
			return 0, 0, fmt.Errorf("hashicorpraft: migrate: %w", err)
		}
		if opts.Progress != nil {
			opts.Progress(i-first+1, total)
		}
		batch, size = batch[:0], 0
	}
	return first, last, nil
}

// readStable reads the keys to copy from stable.
func readStable(stable raft.StableStore, opts MigrateOptions) (stableMap, error) {
	kv := stableMap{}
	if stable == nil {
		return kv, nil
	}
	present := func(key []byte) (bool, error) {
		v, err := stable.Get(key)
		if isNotFound(err) {
			return false, nil
		}
		return v != nil, err
	}
	for _, k := range append([][]byte{KeyCurrentTerm, KeyLastVoteTerm}, opts.Uint64Keys...) {
		v, err := stable.GetUint64(k)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hashicorpraft: migrate: read uint64 key %q: %w", k, err)
		}
		if v == 0 {
			ok, err := present(k)
			if err != nil {
				return nil, fmt.Errorf("hashicorpraft: migrate: read key %q: %w", k, err)
			}
			if !ok {
				continue
			}
		}
		kv[string(k)] = binaryUint64(v)
	}
	for _, k := range append([][]byte{KeyLastVoteCand}, opts.Keys...) {
		v, err := stable.Get(k)
		if isNotFound(err) || err == nil && v == nil {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hashicorpraft: migrate: read key %q: %w", k, err)
		}
		kv[string(k)] = append([]byte{}, v...)
	}
	return kv, nil
}

// isNotFound recognises a missing key the way hashicorp/raft does: by the
// error's text, which is all raft-boltdb and raft's InmemStore give.
func isNotFound(err error) bool {
	return err != nil && err.Error() == "not found"
}
