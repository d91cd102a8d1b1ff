package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// fuzzMax is the small body limit the fuzz targets decode records with.
const fuzzMax = 1024

// checkRecordError checks that a failed decode reports one of the framing
// errors and nothing else.
func checkRecordError(t *testing.T, err error, kind Kind, body []byte, n int) {
	t.Helper()
	if kind != 0 || body != nil || n != 0 {
		t.Fatalf("error %v with results %d, %d bytes, n=%d", err, kind, len(body), n)
	}
	var (
		ie *IncompleteError
		ce *ChecksumError
		te *TooLargeError
	)
	switch {
	case errors.As(err, &ie):
		if !errors.Is(err, ErrIncomplete) || ie.Need <= ie.Have {
			t.Fatalf("bad IncompleteError %v", err)
		}
	case errors.As(err, &ce):
		if !errors.Is(err, ErrChecksum) || ce.Stored == ce.Computed {
			t.Fatalf("bad ChecksumError %v", err)
		}
	case errors.As(err, &te):
		if !errors.Is(err, ErrTooLarge) || te.Length <= uint64(te.Max) {
			t.Fatalf("bad TooLargeError %v", err)
		}
	default:
		t.Fatalf("unexpected error %T %v", err, err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte{}, 0)
	f.Add([]byte{0, 0, 0, 0, 1}, 0)
	f.Add(AppendRecord(nil, 1, []byte("hello")), 0)
	f.Add(AppendRecord(nil, 2, []byte("hello")), 4)
	f.Add(AppendRecord(nil, 3, testBody(200)), 1024)
	f.Add(AppendRecord(AppendRecord(nil, 4, nil), 5, []byte("second")), -1)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3}, 0)
	f.Fuzz(func(t *testing.T, src []byte, max int) {
		limit := max
		if limit <= 0 {
			limit = DefaultMaxBody
		}
		kind, body, n, err := DecodeRecord(src, max)
		if err != nil {
			checkRecordError(t, err, kind, body, n)
		} else {
			if len(body) > limit {
				t.Fatalf("body of %d bytes over the limit %d", len(body), limit)
			}
			if n != RecordSize(len(body)) || n > len(src) {
				t.Fatalf("n = %d for a body of %d bytes and %d bytes of input", n, len(body), len(src))
			}
			if cap(body) != len(body) {
				t.Fatalf("cap(body) = %d != len(body) = %d", cap(body), len(body))
			}
			if re := AppendRecord(nil, kind, body); !bytes.Equal(re, src[:n]) {
				t.Fatalf("re-encoding = % x, want % x", re, src[:n])
			}
			k2, b2, n2, err := DecodeRecord(src[:n], max)
			if err != nil || k2 != kind || !bytes.Equal(b2, body) || n2 != n {
				t.Fatalf("decoding src[:n] = %d, %d bytes, %d, %v", k2, len(b2), n2, err)
			}
		}
		// With a small limit, nothing over the limit is ever returned.
		kind, body, n, err = DecodeRecord(src, fuzzMax)
		if err != nil {
			checkRecordError(t, err, kind, body, n)
		} else if len(body) > fuzzMax {
			t.Fatalf("body of %d bytes over the limit %d", len(body), fuzzMax)
		}
		// ParseHeader agrees with DecodeRecord.
		bl, k, herr := ParseHeader(src, fuzzMax)
		if err == nil && (herr != nil || bl != len(body) || k != kind) {
			t.Fatalf("ParseHeader = %d, %d, %v after DecodeRecord succeeded", bl, k, herr)
		}
		if herr != nil && (err == nil || err.Error() != herr.Error()) {
			t.Fatalf("ParseHeader err %v, DecodeRecord err %v", herr, err)
		}
	})
}

func FuzzRecordRoundTrip(f *testing.F) {
	f.Add(byte(0), []byte{})
	f.Add(byte(1), []byte("hello"))
	f.Add(byte(255), testBody(300))
	f.Fuzz(func(t *testing.T, kind byte, body []byte) {
		rec := AppendRecord([]byte("pre"), Kind(kind), body)
		if string(rec[:3]) != "pre" {
			t.Fatalf("prefix changed")
		}
		rec = rec[3:]
		dst, start := StartRecord(nil, Kind(kind))
		dst = FinishRecord(append(dst, body...), start)
		if !bytes.Equal(dst, rec) {
			t.Fatalf("StartRecord+FinishRecord = % x, AppendRecord = % x", dst, rec)
		}
		k, b, n, err := DecodeRecord(append(rec, 0xff), 0)
		if err != nil || k != Kind(kind) || !bytes.Equal(b, body) || n != len(rec) {
			t.Fatalf("DecodeRecord = %d, %d bytes, %d, %v", k, len(b), n, err)
		}
		// The limit is honoured: the record decodes with a limit of its
		// body length, and is too large with one less.
		if len(body) > 0 {
			if _, _, _, err := DecodeRecord(rec, len(body)); err != nil {
				t.Fatalf("max = len(body): %v", err)
			}
		}
		if len(body) > 1 {
			if _, _, _, err := DecodeRecord(rec, len(body)-1); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("max = len(body)-1: %v", err)
			}
		}
		// Every cut is incomplete.
		for _, i := range []int{0, HeaderSize - 1, HeaderSize, len(rec) / 2, len(rec) - 1} {
			if i < 0 || i >= len(rec) {
				continue
			}
			if _, _, _, err := DecodeRecord(rec[:i], 0); !errors.Is(err, ErrIncomplete) {
				t.Fatalf("prefix %d: err = %v", i, err)
			}
		}
	})
}

// checkValueDecode checks a failed or successful decode of arbitrary input
// by c: a failure is ErrInvalid with n == 0; a success uses at most len(src)
// bytes and re-encodes to exactly src[:n] when canonical is set.
func checkValueDecode[T any](t *testing.T, c Codec[T], src []byte, canonical bool) (T, bool) {
	t.Helper()
	v, n, err := c.Decode(src)
	if err != nil {
		if !errors.Is(err, ErrInvalid) || n != 0 {
			t.Fatalf("Decode(% x) = n %d, err %v; want ErrInvalid, n 0", src, n, err)
		}
		return v, false
	}
	if n < 0 || n > len(src) {
		t.Fatalf("Decode(% x): n = %d", src, n)
	}
	if canonical {
		re, err := c.Append(nil, v)
		if err != nil || !bytes.Equal(re, src[:n]) {
			t.Fatalf("Decode(% x) = %v, re-encoding = % x, %v; want src[:%d]", src, v, re, err, n)
		}
	}
	return v, true
}

func FuzzBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{5, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Round trip.
		enc, err := Bytes.Append(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := Bytes.Decode(enc)
		if err != nil || n != len(enc) || !bytes.Equal(got, data) {
			t.Fatalf("round trip of % x = % x, %d, %v", data, got, n, err)
		}
		// Arbitrary input.
		src := bytes.Clone(data)
		if v, ok := checkValueDecode(t, Bytes, src, true); ok {
			if len(v) >= len(data) {
				t.Fatalf("decoded %d bytes from %d bytes of input", len(v), len(data))
			}
			// The result is a copy: clobbering src leaves it alone.
			want := bytes.Clone(v)
			for i := range src {
				src[i] ^= 0xff
			}
			if !bytes.Equal(v, want) {
				t.Fatalf("decoded value shares memory with src")
			}
		}
	})
}

func FuzzString(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x05hello"))
	f.Add([]byte("\x02\xc3\xa9"))
	f.Add([]byte("\x01\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := string(data)
		enc, err := String.Append(nil, s)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := String.Decode(enc)
		if utf8.ValidString(s) {
			if err != nil || n != len(enc) || got != s {
				t.Fatalf("round trip of %q = %q, %d, %v", s, got, n, err)
			}
		} else if !errors.Is(err, ErrInvalid) {
			t.Fatalf("invalid UTF-8 %q decoded: %q, %v", s, got, err)
		}
		if v, ok := checkValueDecode(t, String, data, true); ok {
			if len(v) >= len(data) {
				t.Fatalf("decoded %d bytes from %d bytes of input", len(v), len(data))
			}
			if !utf8.ValidString(v) {
				t.Fatalf("decoded invalid UTF-8 %q", v)
			}
		}
	})
}

func FuzzUint64(f *testing.F) {
	f.Add(uint64(0), []byte{})
	f.Add(uint64(1<<64-1), []byte{1, 2, 3, 4, 5, 6, 7})
	f.Add(uint64(1234567890), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, v uint64, data []byte) {
		enc, err := Uint64.Append(nil, v)
		if err != nil || len(enc) != 8 {
			t.Fatalf("Append(%d) = % x, %v", v, enc, err)
		}
		got, n, err := Uint64.Decode(enc)
		if err != nil || n != 8 || got != v {
			t.Fatalf("round trip of %d = %d, %d, %v", v, got, n, err)
		}
		if _, ok := checkValueDecode(t, Uint64, data, true); ok != (len(data) >= 8) {
			t.Fatalf("Decode of %d bytes: ok = %v", len(data), ok)
		}
	})
}

func FuzzUvarint(f *testing.F) {
	f.Add(uint64(0), []byte{})
	f.Add(uint64(300), []byte{0x80, 0x00})
	f.Add(uint64(1<<64-1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(uint64(1<<63), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})
	f.Fuzz(func(t *testing.T, v uint64, data []byte) {
		enc, err := Uvarint.Append(nil, v)
		if err != nil || !bytes.Equal(enc, binary.AppendUvarint(nil, v)) {
			t.Fatalf("Append(%d) = % x, %v", v, enc, err)
		}
		got, n, err := Uvarint.Decode(enc)
		if err != nil || n != len(enc) || got != v {
			t.Fatalf("round trip of %d = %d, %d, %v", v, got, n, err)
		}
		// Canonical: a successful decode re-encodes to the same bytes, so
		// overlong encodings are rejected.
		if v, ok := checkValueDecode(t, Uvarint, data, true); ok {
			if w, m := binary.Uvarint(data); w != v || m <= 0 {
				t.Fatalf("Decode(% x) = %d, binary.Uvarint = %d, %d", data, v, w, m)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, v := range []jsonRec{{}, {Name: "a", N: -1, OK: true, Data: []byte{1}, Tags: []string{"t"}, Attrs: map[string]uint32{"k": 1}}} {
		enc, _ := jsonRecCodec.Append(nil, v)
		f.Add(enc)
	}
	f.Add([]byte("\x04null"))
	f.Add([]byte("\x0a{\"N\":1e3}"))
	f.Add([]byte("\x0f{\"name\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, ok := checkValueDecode(t, jsonRecCodec, data, false)
		if !ok {
			return
		}
		// Base64 shrinks; invalid UTF-8 bytes in a JSON string become
		// U+FFFD (three bytes each), so a string can grow up to threefold.
		if len(v.Data) >= len(data) || len(v.Name) > 3*len(data) {
			t.Fatalf("decoded value larger than the input allows: %d-byte name, %d-byte data from %d bytes",
				len(v.Name), len(v.Data), len(data))
		}
		enc, err := jsonRecCodec.Append(nil, v)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", v, err)
		}
		got, n, err := jsonRecCodec.Decode(enc)
		if err != nil || n != len(enc) || !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip of %+v = %+v, %d, %v", v, got, n, err)
		}
		// The encoding is stable from there on.
		enc2, _ := jsonRecCodec.Append(nil, got)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding is not stable: %q then %q", enc, enc2)
		}
	})
}

func FuzzStruct(f *testing.F) {
	f.Add(uint64(0), uint64(0), "", []byte{})
	f.Add(uint64(1), uint64(300), "group", []byte{0, 0, 0, 0, 0, 0, 0, 1, 0xac, 0x02, 1, 'g'})
	f.Add(uint64(1<<64-1), uint64(1<<64-1), "\xff", []byte{0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0x00, 0})
	f.Fuzz(func(t *testing.T, term, index uint64, group string, data []byte) {
		v := logID{Term: term, Index: index, Group: group}
		enc, err := logIDCodec.Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := logIDCodec.Decode(enc)
		if utf8.ValidString(group) {
			if err != nil || n != len(enc) || got != v {
				t.Fatalf("round trip of %+v = %+v, %d, %v", v, got, n, err)
			}
		} else if !errors.Is(err, ErrInvalid) {
			t.Fatalf("invalid UTF-8 group decoded: %+v, %v", got, err)
		}
		if v, ok := checkValueDecode(t, logIDCodec, data, true); ok {
			if len(v.Group) >= len(data) {
				t.Fatalf("decoded a %d-byte string from %d bytes", len(v.Group), len(data))
			}
		}
	})
}
