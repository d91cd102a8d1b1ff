package raftlog

import "log/slog"

// LogValue logs an id as a group: term, index.
func (id LogID) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("term", id.Term), slog.Uint64("index", id.Index))
}

// LogValue logs a vote as a group: term, node_id, committed.
func (v Vote) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("term", v.Term), slog.Uint64("node_id", v.NodeID), slog.Bool("committed", v.Committed))
}

// LogValue logs an absent value as nil (null in JSON) and a present one as
// the value, which slog resolves further if it is a slog.LogValuer itself.
func (o Option[T]) LogValue() slog.Value {
	if !o.ok {
		return slog.AnyValue(nil)
	}
	return slog.AnyValue(o.v)
}

// LogValue logs a state as a group with the keys of its JSON form.
func (s State[L, V, U]) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("vote", s.Vote),
		slog.Any("last", s.Last),
		slog.Any("committed", s.Committed),
		slog.Any("purged", s.Purged),
		slog.Any("user_data", s.UserData),
	)
}

// LogValue logs a stat as a group with the keys of its JSON form.
func (s Stat[L]) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("wal", s.WAL),
		slog.Uint64("first", s.First),
		slog.Uint64("end", s.End),
		slog.Int64("index_bytes", s.IndexBytes),
		slog.Int("cache_items", s.CacheItems),
		slog.Int64("cache_bytes", s.CacheBytes),
		slog.Int("cache_max_items", s.CacheMaxItems),
		slog.Int64("cache_max_bytes", s.CacheMaxBytes),
		slog.Uint64("cache_hits", s.CacheHits),
		slog.Uint64("cache_misses", s.CacheMisses),
		slog.Any("evictable", s.Evictable),
	)
}
