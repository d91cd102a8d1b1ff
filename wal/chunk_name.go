package wal

import (
	"strconv"
	"strings"
)

// ChunkName is the file name of the chunk starting at global offset id:
// "r-" and the id zero-padded to 20 digits in groups of three, then ".wal",
// e.g. r-00_000_000_000_000_000_161.wal. Names sort as the ids do.
func ChunkName(id uint64) string {
	digits := strconv.FormatUint(id, 10)
	digits = strings.Repeat("0", 20-len(digits)) + digits
	var b strings.Builder
	b.Grow(32)
	b.WriteString("r-")
	for i := 0; i < 20; i++ {
		if i > 0 && (20-i)%3 == 0 {
			b.WriteByte('_')
		}
		b.WriteByte(digits[i])
	}
	b.WriteString(".wal")
	return b.String()
}

// ParseChunkName returns the id in a chunk file name made by ChunkName. It
// is strict: any other name (LOCK, a temporary file, a hand-renamed chunk)
// is not a chunk.
func ParseChunkName(name string) (uint64, bool) {
	if len(name) != 32 || !strings.HasPrefix(name, "r-") || !strings.HasSuffix(name, ".wal") {
		return 0, false
	}
	mid := name[2:28]
	digits := make([]byte, 0, 20)
	for i := 0; i < len(mid); i++ {
		c := mid[i]
		if i%4 == 2 { // separators sit at 2, 6, 10, ...: "00_000_..."
			if c != '_' {
				return 0, false
			}
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		digits = append(digits, c)
	}
	id, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, false
	}
	return id, ChunkName(id) == name
}
