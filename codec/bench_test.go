package codec

import (
	"fmt"
	"testing"
)

var benchSizes = []int{128, 4 << 10, 1 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func BenchmarkAppendRecord(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			body := testBody(size)
			buf := make([]byte, 0, RecordSize(size))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendRecord(buf[:0], 1, body)
			}
		})
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			rec := AppendRecord(make([]byte, 0, RecordSize(size)), 1, testBody(size))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, err := DecodeRecord(rec, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkChecksum(b *testing.B) {
	data := testBody(1 << 20)
	b.Run(sizeName(len(data)), func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var sum uint32
		for b.Loop() {
			sum ^= Checksum(data)
		}
		_ = sum
	})
}
