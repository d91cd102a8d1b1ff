package raftlog

import (
	"fmt"
	"strings"
)

// Every String method of this package renders what fmt's %+v would print
// for the struct (field names, nested braces), with two exceptions that keep
// it readable and unambiguous: an absent Option prints as <none> and a
// present one as its value, and byte slices and strings print quoted (see
// the package documentation).

// String renders {Term:1 Index:2}.
func (id LogID) String() string { return fmt.Sprintf("{Term:%d Index:%d}", id.Term, id.Index) }

// String renders {Term:1 NodeID:2 Committed:true}.
func (v Vote) String() string {
	return fmt.Sprintf("{Term:%d NodeID:%d Committed:%t}", v.Term, v.NodeID, v.Committed)
}

// String renders <none> when absent, else the value as formatValue does.
func (o Option[T]) String() string {
	if !o.ok {
		return "<none>"
	}
	return formatValue(o.v)
}

// String renders {Vote:... Last:... Committed:... Purged:... UserData:...}.
func (s State[L, V, U]) String() string {
	return fmt.Sprintf("{Vote:%v Last:%v Committed:%v Purged:%v UserData:%v}",
		s.Vote, s.Last, s.Committed, s.Purged, s.UserData)
}

// String renders every field, the WAL's included, on one line.
func (s Stat[L]) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{WAL:%v First:%d End:%d IndexBytes:%d", s.WAL, s.First, s.End, s.IndexBytes)
	fmt.Fprintf(&b, " CacheItems:%d CacheBytes:%d CacheMaxItems:%d CacheMaxBytes:%d",
		s.CacheItems, s.CacheBytes, s.CacheMaxItems, s.CacheMaxBytes)
	fmt.Fprintf(&b, " CacheHits:%d CacheMisses:%d Evictable:%v}", s.CacheHits, s.CacheMisses, s.Evictable)
	return b.String()
}

// formatValue renders byte slices and strings quoted, the rest with %v.
func formatValue(v any) string {
	switch x := v.(type) {
	case []byte:
		return fmt.Sprintf("%q", x)
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}
