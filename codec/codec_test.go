package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// logID is a LogID-like struct for the Struct tests.
type logID struct {
	Term  uint64
	Index uint64
	Group string
}

var logIDCodec = Struct(
	F(Uint64, func(id logID) uint64 { return id.Term }, func(id *logID, v uint64) { id.Term = v }),
	F(Uvarint, func(id logID) uint64 { return id.Index }, func(id *logID, v uint64) { id.Index = v }),
	F(String, func(id logID) string { return id.Group }, func(id *logID, v string) { id.Group = v }),
)

// jsonRec is a small struct for the JSON tests. Its slices and maps have
// no omitempty: encoding/json would drop an empty non-nil one, which then
// decodes as nil, so a decoded value would not survive a round trip.
type jsonRec struct {
	Name  string            `json:"name"`
	N     int64             `json:"n"`
	OK    bool              `json:"ok,omitempty"`
	Data  []byte            `json:"data"`
	Tags  []string          `json:"tags"`
	Attrs map[string]uint32 `json:"attrs"`
}

var jsonRecCodec = JSON[jsonRec]()

// checkCodec checks the properties every codec must have for v: the
// encoding appends to dst, decodes to v, consumes exactly its length when
// more bytes follow, and every strict prefix fails with ErrInvalid (short
// input also with io.ErrUnexpectedEOF) without panicking.
func checkCodec[T any](t *testing.T, c Codec[T], v T, equal func(a, b T) bool) []byte {
	t.Helper()
	prefix := []byte{0xaa, 0xbb}
	enc, err := c.Append(append([]byte(nil), prefix...), v)
	if err != nil {
		t.Fatalf("Append(%v): %v", v, err)
	}
	if !bytes.Equal(enc[:2], prefix) {
		t.Fatalf("Append changed dst's bytes")
	}
	enc = enc[2:]
	got, n, err := c.Decode(enc)
	if err != nil {
		t.Fatalf("Decode(% x): %v", enc, err)
	}
	if n != len(enc) || !equal(got, v) {
		t.Fatalf("Decode = %v, %d; want %v, %d", got, n, v, len(enc))
	}
	// Trailing bytes: consumes exactly the encoding.
	long := append(append([]byte(nil), enc...), 0x01, 0x80, 0xff, 0x00)
	got, n, err = c.Decode(long)
	if err != nil || n != len(enc) || !equal(got, v) {
		t.Fatalf("Decode with trailing bytes = %v, %d, %v; want %v, %d", got, n, err, v, len(enc))
	}
	for i := 0; i < len(enc); i++ {
		_, n, err := c.Decode(enc[:i])
		if err == nil {
			t.Fatalf("Decode of prefix %d of % x succeeded", i, enc)
		}
		if n != 0 {
			t.Fatalf("Decode of prefix %d: n = %d with error", i, n)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Decode of prefix %d: err = %v, want ErrInvalid", i, err)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Decode of prefix %d: err = %v, want io.ErrUnexpectedEOF", i, err)
		}
	}
	return enc
}

// bytesPerRun returns the average number of bytes f allocates.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func eq[T comparable](a, b T) bool { return a == b }

func TestBytesRoundTrip(t *testing.T) {
	for _, v := range [][]byte{{}, {0}, []byte("hello"), testBody(127), testBody(128), testBody(4096)} {
		enc := checkCodec(t, Bytes, v, bytes.Equal)
		l, ln := binary.Uvarint(enc)
		if l != uint64(len(v)) || ln+len(v) != len(enc) {
			t.Fatalf("encoding of %d bytes has length prefix %d (%d bytes)", len(v), l, ln)
		}
	}
	// nil encodes like an empty slice and decodes as an empty one.
	enc, _ := Bytes.Append(nil, nil)
	if !bytes.Equal(enc, []byte{0}) {
		t.Fatalf("Append(nil) = % x", enc)
	}
	got, n, err := Bytes.Decode(enc)
	if err != nil || n != 1 || got == nil || len(got) != 0 {
		t.Fatalf("Decode(nil encoding) = %#v, %d, %v", got, n, err)
	}
}

func TestBytesDecodeCopies(t *testing.T) {
	src, _ := Bytes.Append(nil, []byte("original"))
	got, _, err := Bytes.Decode(src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range src {
		src[i] = 'Z'
	}
	if string(got) != "original" {
		t.Fatalf("decoded value changed with src: %q", got)
	}
	// Appending to the result must not write into src either.
	src, _ = Bytes.Append(nil, []byte("abc"))
	src = append(src, "tail"...)
	got, _, _ = Bytes.Decode(src)
	_ = append(got, "XXXX"...)
	if string(src[4:]) != "tail" {
		t.Fatalf("appending to the result changed src: %q", src)
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, v := range []string{"", "a", "héllo, 世界", strings.Repeat("x", 300), "\x00\x7f"} {
		checkCodec(t, String, v, eq[string])
	}
}

func TestStringDecodeCopies(t *testing.T) {
	src, _ := String.Append(nil, "original")
	got, _, err := String.Decode(src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range src {
		src[i] = 'Z'
	}
	if got != "original" {
		t.Fatalf("decoded string changed with src: %q", got)
	}
}

func TestStringRejectsInvalidUTF8(t *testing.T) {
	for _, s := range []string{"\xff", "ab\xc3", "\xed\xa0\x80", "ok\xc0\xafok"} {
		enc := binary.AppendUvarint(nil, uint64(len(s)))
		enc = append(enc, s...)
		got, n, err := String.Decode(enc)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Decode(%q) = %q, %d, %v; want ErrInvalid", s, got, n, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Decode(%q): invalid UTF-8 reported as short input: %v", s, err)
		}
		// Bytes takes the same encoding.
		if b, _, err := Bytes.Decode(enc); err != nil || string(b) != s {
			t.Fatalf("Bytes.Decode(%q) = %q, %v", s, b, err)
		}
	}
}

func TestUint64RoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 255, 256, 1 << 32, math.MaxUint64 - 1, math.MaxUint64} {
		enc := checkCodec(t, Uint64, v, eq[uint64])
		if len(enc) != 8 || binary.BigEndian.Uint64(enc) != v {
			t.Fatalf("Uint64 encoding of %d = % x", v, enc)
		}
	}
	// Big-endian: encodings sort as the numbers do.
	a, _ := Uint64.Append(nil, 255)
	b, _ := Uint64.Append(nil, 256)
	if bytes.Compare(a, b) >= 0 {
		t.Fatalf("encodings do not sort: % x >= % x", a, b)
	}
}

func TestUvarintRoundTrip(t *testing.T) {
	vals := []uint64{0, 1, 127, 128, 255, 16383, 16384, 1<<63 - 1, 1 << 63, math.MaxUint64}
	for i := 0; i < 64; i++ {
		vals = append(vals, 1<<i, 1<<i-1)
	}
	for _, v := range vals {
		enc := checkCodec(t, Uvarint, v, eq[uint64])
		if want := binary.AppendUvarint(nil, v); !bytes.Equal(enc, want) {
			t.Fatalf("Uvarint encoding of %d = % x, want % x", v, enc, want)
		}
	}
}

func TestUvarintRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   []byte
		short bool
	}{
		{"overlong zero", []byte{0x80, 0x00}, false},
		{"overlong one", []byte{0x81, 0x00}, false},
		{"overlong 3 bytes", []byte{0xff, 0x80, 0x00}, false},
		{"overlong max", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00}, false},
		{"overflow tenth byte", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, false},
		{"overflow eleven bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, false},
		{"empty", nil, true},
		{"unterminated", []byte{0x80}, true},
		{"unterminated long", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true},
	} {
		v, n, err := Uvarint.Decode(tc.src)
		if !errors.Is(err, ErrInvalid) || n != 0 || v != 0 {
			t.Errorf("%s: Decode(% x) = %d, %d, %v; want ErrInvalid", tc.name, tc.src, v, n, err)
			continue
		}
		if errors.Is(err, io.ErrUnexpectedEOF) != tc.short {
			t.Errorf("%s: err = %v; short input: %v", tc.name, err, tc.short)
		}
	}
}

func TestHugeLengthPrefixDoesNotAllocate(t *testing.T) {
	src := binary.AppendUvarint(nil, 1<<60)
	src = append(src, "only a few bytes"...)
	for _, decode := range []func([]byte) error{
		func(b []byte) error { _, _, err := Bytes.Decode(b); return err },
		func(b []byte) error { _, _, err := String.Decode(b); return err },
		func(b []byte) error { _, _, err := jsonRecCodec.Decode(b); return err },
	} {
		err := decode(src)
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want ErrInvalid and io.ErrUnexpectedEOF", err)
		}
		allocs := testing.AllocsPerRun(50, func() { _ = decode(src) })
		// Only the error value and its message are allocated.
		if allocs > 10 {
			t.Fatalf("decoding a huge length prefix: %v allocs", allocs)
		}
		// And they are small: a single allocation sized by the prefix
		// would count as one alloc, so check the bytes too.
		if b := bytesPerRun(50, func() { _ = decode(src) }); b > 4096 {
			t.Fatalf("decoding a huge length prefix allocates %d bytes per run", b)
		}
	}
	// Also a length that overflows int when added to the prefix size.
	src = binary.AppendUvarint(nil, math.MaxUint64)
	if _, _, err := Bytes.Decode(src); !errors.Is(err, ErrInvalid) {
		t.Fatalf("MaxUint64 length: err = %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, v := range []jsonRec{
		{},
		{Name: "a", N: -5, OK: true, Data: []byte{0, 1, 2}},
		{Name: "héllo \"quoted\"\n", N: math.MaxInt64, Data: []byte{}, Tags: []string{"x", "y"}, Attrs: map[string]uint32{"k": 7}},
	} {
		checkCodec(t, jsonRecCodec, v, func(a, b jsonRec) bool { return reflect.DeepEqual(a, b) })
	}
	checkCodec(t, JSON[int](), 42, eq[int])
	checkCodec(t, JSON[[]string](), []string{"a", "b"}, func(a, b []string) bool { return reflect.DeepEqual(a, b) })
}

func TestJSONErrors(t *testing.T) {
	// Not JSON, and JSON of the wrong type.
	for _, body := range []string{"{", `{"n":"str"}`, `[1]`, `{} x`, ""} {
		src, _ := Bytes.Append(nil, []byte(body))
		_, n, err := jsonRecCodec.Decode(src)
		if !errors.Is(err, ErrInvalid) || n != 0 {
			t.Fatalf("Decode(%q) = %d, %v; want ErrInvalid", body, n, err)
		}
	}
	// A value encoding/json cannot encode.
	dst := []byte("keep")
	got, err := JSON[chan int]().Append(dst, make(chan int))
	if err == nil {
		t.Fatalf("Append(chan) succeeded")
	}
	if string(got) != "keep" {
		t.Fatalf("Append error returned %q, want dst unchanged", got)
	}
	// Decoded values do not share memory with src.
	v := jsonRec{Name: "name", Data: []byte("data")}
	src, _ := jsonRecCodec.Append(nil, v)
	got2, _, err := jsonRecCodec.Decode(src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range src {
		src[i] = 0
	}
	if !reflect.DeepEqual(got2, v) {
		t.Fatalf("decoded value changed with src: %+v", got2)
	}
}

func TestStructRoundTrip(t *testing.T) {
	for _, v := range []logID{
		{},
		{Term: 1, Index: 2, Group: "g"},
		{Term: math.MaxUint64, Index: math.MaxUint64, Group: "グループ"},
		{Term: 7, Index: 300, Group: strings.Repeat("z", 200)},
	} {
		enc := checkCodec(t, logIDCodec, v, eq[logID])
		// The fields are encoded one after the other.
		var want []byte
		want, _ = Uint64.Append(want, v.Term)
		want, _ = Uvarint.Append(want, v.Index)
		want, _ = String.Append(want, v.Group)
		if !bytes.Equal(enc, want) {
			t.Fatalf("Struct encoding of %+v = % x, want % x", v, enc, want)
		}
	}
	// A struct with no fields encodes as nothing.
	empty := Struct[logID]()
	enc, err := empty.Append([]byte("x"), logID{Term: 1})
	if err != nil || string(enc) != "x" {
		t.Fatalf("empty Struct Append = %q, %v", enc, err)
	}
	if v, n, err := empty.Decode([]byte("abc")); err != nil || n != 0 || v != (logID{}) {
		t.Fatalf("empty Struct Decode = %+v, %d, %v", v, n, err)
	}
}

func TestStructDecodeErrorNamesField(t *testing.T) {
	valid, _ := logIDCodec.Append(nil, logID{Term: 1, Index: 2, Group: "group"})
	for _, tc := range []struct {
		src   []byte
		field string
	}{
		{valid[:3], "field 0"},
		{valid[:8], "field 1"},
		{valid[:9], "field 2"},
		{valid[:11], "field 2"},
		{append(append([]byte(nil), valid[:8]...), 0x80, 0x00), "field 1"},
		{append(append([]byte(nil), valid[:9]...), 1, 0xff), "field 2"},
	} {
		_, n, err := logIDCodec.Decode(tc.src)
		if !errors.Is(err, ErrInvalid) || n != 0 {
			t.Fatalf("Decode(% x) = %d, %v; want ErrInvalid", tc.src, n, err)
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Fatalf("Decode(% x): err %q does not name %s", tc.src, err, tc.field)
		}
	}
}

// failing is a codec whose Append fails, to check that Struct passes the
// error on.
type failing struct{}

var errFailing = errors.New("failing")

func (failing) Append(dst []byte, v int) ([]byte, error) { return dst, errFailing }
func (failing) Decode(src []byte) (int, int, error)      { return 0, 0, errFailing }

func TestStructAppendError(t *testing.T) {
	type pair struct{ A, B int }
	c := Struct(
		F(JSON[int](), func(p pair) int { return p.A }, func(p *pair, v int) { p.A = v }),
		F(Codec[int](failing{}), func(p pair) int { return p.B }, func(p *pair, v int) { p.B = v }),
	)
	if _, err := c.Append(nil, pair{1, 2}); !errors.Is(err, errFailing) {
		t.Fatalf("Append err = %v", err)
	}
	src, _ := JSON[int]().Append(nil, 1)
	if _, _, err := c.Decode(src); !errors.Is(err, errFailing) || !strings.Contains(err.Error(), "field 1") {
		t.Fatalf("Decode err = %v", err)
	}
}

func TestStructAppendZeroAllocs(t *testing.T) {
	v := logID{Term: 3, Index: 1 << 40, Group: "some-group"}
	buf := make([]byte, 0, 128)
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		buf, err = logIDCodec.Append(buf[:0], v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Fatalf("Struct Append into a reused buffer: %v allocs, want 0", allocs)
	}
	// Inside a record too.
	allocs = testing.AllocsPerRun(100, func() {
		var start int
		buf, start = StartRecord(buf[:0], 1)
		buf, err = logIDCodec.Append(buf, v)
		buf = FinishRecord(buf, start)
	})
	if allocs != 0 {
		t.Fatalf("Struct Append in a record: %v allocs, want 0", allocs)
	}
	// The built-in codecs append without allocating on their own.
	payload := []byte("abc")
	for name, f := range map[string]func(){
		"Uint64":  func() { buf, _ = Uint64.Append(buf[:0], 1) },
		"Uvarint": func() { buf, _ = Uvarint.Append(buf[:0], 1<<50) },
		"String":  func() { buf, _ = String.Append(buf[:0], v.Group) },
		"Bytes":   func() { buf, _ = Bytes.Append(buf[:0], payload) },
	} {
		if allocs := testing.AllocsPerRun(100, f); allocs != 0 {
			t.Errorf("%s.Append: %v allocs, want 0", name, allocs)
		}
	}
	// Decoding a fixed-size value does not allocate either.
	enc, _ := Uint64.Append(nil, 5)
	if allocs := testing.AllocsPerRun(100, func() { _, _, _ = Uint64.Decode(enc) }); allocs != 0 {
		t.Errorf("Uint64.Decode: %v allocs, want 0", allocs)
	}
}
