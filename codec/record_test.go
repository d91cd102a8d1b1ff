package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"
)

// body returns a deterministic body of n bytes.
func testBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return b
}

func TestRecordRoundTrip(t *testing.T) {
	for _, kind := range []Kind{0, 1, 42, 255} {
		for _, size := range []int{0, 1, 127, 4096} {
			t.Run(fmt.Sprintf("kind=%d/size=%d", kind, size), func(t *testing.T) {
				body := testBody(size)
				prefix := []byte("prefix")
				rec := AppendRecord(append([]byte(nil), prefix...), kind, body)
				if !bytes.Equal(rec[:len(prefix)], prefix) {
					t.Fatalf("AppendRecord changed the bytes before dst's end")
				}
				rec = rec[len(prefix):]
				if len(rec) != RecordSize(size) || len(rec) != size+Overhead {
					t.Fatalf("len = %d, want %d", len(rec), size+Overhead)
				}
				// Trailing bytes after the record must not be used.
				src := append(append([]byte(nil), rec...), 0xde, 0xad, 0xbe, 0xef)
				gotKind, gotBody, n, err := DecodeRecord(src, 0)
				if err != nil {
					t.Fatalf("DecodeRecord: %v", err)
				}
				if gotKind != kind || !bytes.Equal(gotBody, body) || n != len(rec) {
					t.Fatalf("DecodeRecord = %d, %d bytes, n=%d; want %d, %d bytes, n=%d",
						gotKind, len(gotBody), n, kind, len(body), len(rec))
				}
				bl, k, err := ParseHeader(src, 0)
				if err != nil || bl != size || k != kind {
					t.Fatalf("ParseHeader = %d, %d, %v; want %d, %d, nil", bl, k, err, size, kind)
				}
			})
		}
	}
}

func TestRecordExactBytes(t *testing.T) {
	body := []byte("hi!")
	got := AppendRecord(nil, 7, body)
	want := []byte{3, 0, 0, 0, 7, 'h', 'i', '!'}
	crc := crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli))
	want = append(want, byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24))
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendRecord = % x, want % x", got, want)
	}
	if c := Checksum(want[:8]); c != crc {
		t.Fatalf("Checksum = %08x, want %08x", c, crc)
	}
	// A known CRC-32C check value: crc32c("123456789") = e3069283.
	if c := Checksum([]byte("123456789")); c != 0xe3069283 {
		t.Fatalf("Checksum(123456789) = %08x, want e3069283", c)
	}
}

func TestStartFinishRecordMatchesAppendRecord(t *testing.T) {
	for _, size := range []int{0, 1, 127, 4096} {
		body := testBody(size)
		want := AppendRecord([]byte("xyz"), 9, body)
		dst, start := StartRecord([]byte("xyz"), 9)
		if start != 3 {
			t.Fatalf("start = %d, want 3", start)
		}
		dst = append(dst, body...)
		if BodyLen(dst, start) != size {
			t.Fatalf("BodyLen = %d, want %d", BodyLen(dst, start), size)
		}
		got := FinishRecord(dst, start)
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: StartRecord+FinishRecord = % x, want % x", size, got, want)
		}
	}
}

func checkIncomplete(t *testing.T, err error, need, have int) {
	t.Helper()
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want it to match io.ErrUnexpectedEOF", err)
	}
	if errors.Is(err, ErrChecksum) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v matches another sentinel", err)
	}
	var ie *IncompleteError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %T, want *IncompleteError", err)
	}
	if ie.Need != need || ie.Have != have {
		t.Fatalf("IncompleteError = %+v, want Need %d Have %d", *ie, need, have)
	}
}

func TestDecodeRecordPrefixIncomplete(t *testing.T) {
	for _, size := range []int{0, 1, 127} {
		rec := AppendRecord(nil, 3, testBody(size))
		for i := 0; i < len(rec); i++ {
			kind, body, n, err := DecodeRecord(rec[:i], 0)
			if err == nil {
				t.Fatalf("size %d prefix %d: decoded", size, i)
			}
			if kind != 0 || body != nil || n != 0 {
				t.Fatalf("size %d prefix %d: error with results %d, %v, %d", size, i, kind, body, n)
			}
			need := len(rec)
			if i < HeaderSize {
				need = HeaderSize
			}
			checkIncomplete(t, err, need, i)
		}
	}
	_, _, err := ParseHeader([]byte{1, 2}, 0)
	checkIncomplete(t, err, HeaderSize, 2)
}

func TestDecodeRecordBitFlips(t *testing.T) {
	body := testBody(31)
	rec := AppendRecord(nil, 5, body)
	if len(rec) != 40 {
		t.Fatalf("len = %d", len(rec))
	}
	counts := map[string]int{}
	for i := 0; i < len(rec)*8; i++ {
		bad := append([]byte(nil), rec...)
		bad[i/8] ^= 1 << (i % 8)
		kind, got, _, err := DecodeRecord(bad, 0)
		switch {
		case err == nil:
			t.Fatalf("bit %d: decoded kind %d body % x", i, kind, got)
		case errors.Is(err, ErrChecksum):
			var ce *ChecksumError
			if !errors.As(err, &ce) || ce.Stored == ce.Computed {
				t.Fatalf("bit %d: bad ChecksumError %v", i, err)
			}
			counts["checksum"]++
		case errors.Is(err, ErrTooLarge):
			counts["toolarge"]++
		case errors.Is(err, ErrIncomplete):
			counts["incomplete"]++
		default:
			t.Fatalf("bit %d: unexpected error %v", i, err)
		}
		if i >= 32 && !errors.Is(err, ErrChecksum) {
			t.Fatalf("bit %d (outside the length): err = %v, want ErrChecksum", i, err)
		}
	}
	t.Logf("bit flips: %v", counts)
}

func TestDecodeRecordTooLarge(t *testing.T) {
	for _, tc := range []struct {
		length  uint32
		max     int
		wantMax int
		ok      bool
	}{
		{length: 11, max: 10, wantMax: 10},
		{length: 10, max: 10, ok: true},
		{length: DefaultMaxBody + 1, max: 0, wantMax: DefaultMaxBody},
		{length: DefaultMaxBody + 1, max: -1, wantMax: DefaultMaxBody},
		{length: DefaultMaxBody, max: 0, ok: true},
		{length: MaxBodyLimit, max: 0, wantMax: DefaultMaxBody},
		{length: MaxBodyLimit, max: 1, wantMax: 1},
	} {
		// Only the header: the length must be checked before the input's
		// size, so a too-large length is reported as such, not as
		// incomplete.
		src := binary.LittleEndian.AppendUint32(nil, tc.length)
		src = append(src, 1)
		_, _, _, err := DecodeRecord(src, tc.max)
		if tc.ok {
			checkIncomplete(t, err, RecordSize(int(tc.length)), HeaderSize)
			continue
		}
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%+v: err = %v, want ErrTooLarge", tc, err)
		}
		if errors.Is(err, ErrIncomplete) || errors.Is(err, ErrChecksum) {
			t.Fatalf("%+v: err = %v matches another sentinel", tc, err)
		}
		var te *TooLargeError
		if !errors.As(err, &te) {
			t.Fatalf("%+v: err = %T, want *TooLargeError", tc, err)
		}
		if te.Length != uint64(tc.length) || te.Max != tc.wantMax {
			t.Fatalf("%+v: TooLargeError = %+v", tc, *te)
		}
		if _, _, err := ParseHeader(src, tc.max); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%+v: ParseHeader err = %v", tc, err)
		}
	}
}

func TestDecodeRecordBodyAliasesSrc(t *testing.T) {
	rec := AppendRecord(nil, 1, []byte("abcdef"))
	rec = append(rec, "tail"...)
	orig := append([]byte(nil), rec...)
	_, body, n, err := DecodeRecord(rec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if &body[0] != &rec[HeaderSize] {
		t.Fatalf("body does not alias src")
	}
	if cap(body) != len(body) {
		t.Fatalf("cap(body) = %d, len(body) = %d", cap(body), len(body))
	}
	_ = append(body, 'X', 'Y', 'Z', 'W', 'V')
	if !bytes.Equal(rec, orig) {
		t.Fatalf("appending to body changed src: % x, want % x", rec, orig)
	}
	if _, _, m, err := DecodeRecord(rec[:n], 0); err != nil || m != n {
		t.Fatalf("after append: DecodeRecord = %d, %v", m, err)
	}
	// An empty body has cap 0 too.
	_, body, _, err = DecodeRecord(AppendRecord(nil, 1, nil), 0)
	if err != nil || len(body) != 0 || cap(body) != 0 {
		t.Fatalf("empty body: len %d cap %d err %v", len(body), cap(body), err)
	}
}

func TestErrorMessages(t *testing.T) {
	for _, err := range []error{
		&IncompleteError{Need: 9, Have: 3},
		&ChecksumError{Stored: 1, Computed: 2},
		&TooLargeError{Length: 100, Max: 10},
	} {
		if err.Error() == "" {
			t.Errorf("%T: empty message", err)
		}
	}
}

func TestAppendRecordZeroAllocs(t *testing.T) {
	body := testBody(4096)
	buf := make([]byte, 0, RecordSize(len(body)))
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendRecord(buf[:0], 2, body)
	})
	if allocs != 0 {
		t.Fatalf("AppendRecord into a reused buffer: %v allocs, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if _, _, _, err := DecodeRecord(buf, 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("DecodeRecord: %v allocs, want 0", allocs)
	}
}

func TestStartFinishWithCodecsZeroAllocs(t *testing.T) {
	payload := testBody(100)
	buf := make([]byte, 0, 256)
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		var start int
		buf, start = StartRecord(buf[:0], 4)
		if buf, err = Uint64.Append(buf, 12345); err != nil {
			t.Fatal(err)
		}
		if buf, err = Bytes.Append(buf, payload); err != nil {
			t.Fatal(err)
		}
		buf = FinishRecord(buf, start)
	})
	if allocs != 0 {
		t.Fatalf("StartRecord+Uint64+Bytes+FinishRecord: %v allocs, want 0", allocs)
	}
	_, body, _, err := DecodeRecord(buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	v, n, err := Uint64.Decode(body)
	if err != nil || v != 12345 {
		t.Fatalf("Uint64.Decode = %d, %v", v, err)
	}
	p, m, err := Bytes.Decode(body[n:])
	if err != nil || !bytes.Equal(p, payload) || n+m != len(body) {
		t.Fatalf("Bytes.Decode = %d bytes, n %d, %v", len(p), m, err)
	}
}
