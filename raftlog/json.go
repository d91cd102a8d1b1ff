package raftlog

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON renders an absent value as null and a present one as the
// value's own JSON.
func (o Option[T]) MarshalJSON() ([]byte, error) {
	if !o.ok {
		return []byte("null"), nil
	}
	return json.Marshal(o.v)
}

// UnmarshalJSON reads null as absent and anything else as a present value
// of T. An error (T's own, or a *json.SyntaxError) leaves o unchanged.
func (o *Option[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = None[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Some(v)
	return nil
}
