// Package limit measures what the disk allows, so that every figure of a log
// store reads as a fraction of it: loops of one write and one fdatasync into a
// zero-filled, a fallocated or a growing file, the same from several
// goroutines sharing each fdatasync (group commit), and the bulk sequential
// write bandwidth.
package limit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Kind is the state of the file a loop writes into.
type Kind string

const (
	// Zeroed: written with zeros and fsynced first, so that the loop's
	// writes change no file size and no extent (the cheapest fdatasync).
	Zeroed Kind = "zero-filled"
	// Fallocated: blocks reserved with fallocate (unwritten extents),
	// so that each write also converts an extent.
	Fallocated Kind = "fallocated"
	// Growing: appended to, so that each fdatasync also commits the new
	// size (what a log without preallocation does).
	Growing Kind = "growing"
)

// Loop is one raw loop: Ops times, write Bytes at the next offset of a file
// of the given Kind and fdatasync it. With Goroutines above 1, that many
// goroutines share the Ops iterations and each fdatasync serves a round of
// them (see runGroup); 0 and 1 both mean one.
type Loop struct {
	Kind       Kind
	Bytes      int
	Ops        int
	Goroutines int `json:",omitempty"`
}

// Name is how tables show the loop, e.g. "128 B + fdatasync, zero-filled",
// or "16 goroutines: 128 B each + a shared fdatasync, zero-filled".
func (l Loop) Name() string {
	if l.Goroutines > 1 {
		return fmt.Sprintf("%d goroutines: %s each + a shared fdatasync, %s", l.Goroutines, Size(l.Bytes), l.Kind)
	}
	return fmt.Sprintf("%s + fdatasync, %s", Size(l.Bytes), l.Kind)
}

// Same reports whether two loops are the same but for their Ops.
func (l Loop) Same(o Loop) bool {
	return l.Kind == o.Kind && l.Bytes == o.Bytes && max(l.Goroutines, 1) == max(o.Goroutines, 1)
}

// Size renders a byte count as the tables do: 128 B, 4 KiB, 256 KiB.
func Size(b int) string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	case b >= 1<<10 && b%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d B", b)
}

// Result is a loop's throughput and the distribution of its iterations.
type Result struct {
	Loop          Loop
	OpsPerSec     float64
	MBPerSec      float64 // 10^6 bytes per second
	P50, P99, Max time.Duration
	// PerFsync is the iterations each fdatasync served: 1 but in a loop
	// of several goroutines.
	PerFsync float64 `json:",omitempty"`
}

// Run runs the loop in a new file under dir, which it removes after.
func Run(dir string, l Loop) (Result, error) {
	if l.Ops < 1 || l.Bytes < 1 {
		return Result{}, fmt.Errorf("limit: loop %s: ops and bytes must be positive", l.Name())
	}
	path := filepath.Join(dir, fmt.Sprintf("limit-%s-%d-%d", l.Kind, l.Bytes, max(l.Goroutines, 1)))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return Result{}, fmt.Errorf("limit: %w", err)
	}
	defer os.Remove(path)
	defer f.Close()
	if err := prepare(f, l); err != nil {
		return Result{}, fmt.Errorf("limit: prepare %s: %w", path, err)
	}
	run := runOne
	if l.Goroutines > 1 {
		run = runGroup
	}
	elapsed, lat, rounds, err := run(f, l)
	if err != nil {
		return Result{}, fmt.Errorf("limit: %s: %w", path, err)
	}
	el := elapsed.Seconds()
	slices.Sort(lat)
	return Result{
		Loop:      l,
		OpsPerSec: float64(l.Ops) / el,
		MBPerSec:  float64(l.Ops) * float64(l.Bytes) / el / 1e6,
		P50:       lat[(l.Ops-1)/2],
		P99:       lat[min(l.Ops-1, (l.Ops*99+99)/100-1)],
		Max:       lat[l.Ops-1],
		PerFsync:  float64(l.Ops) / float64(rounds),
	}, nil
}

// runOne is Run's loop for one goroutine: each iteration writes l.Bytes
// at the next offset of f and fdatasyncs. It returns the loop's time, each
// iteration's latency and the number of fdatasyncs.
func runOne(f *os.File, l Loop) (elapsed time.Duration, lat []time.Duration, rounds int, err error) {
	buf := make([]byte, l.Bytes)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	lat = make([]time.Duration, l.Ops)
	fd := int(f.Fd())
	start := time.Now()
	for i := range l.Ops {
		t := time.Now()
		if _, err := unix.Pwrite(fd, buf, int64(i)*int64(l.Bytes)); err != nil {
			return 0, nil, 0, fmt.Errorf("write: %w", err)
		}
		if err := unix.Fdatasync(fd); err != nil {
			return 0, nil, 0, fmt.Errorf("fdatasync: %w", err)
		}
		lat[i] = time.Since(t)
	}
	return time.Since(start), lat, l.Ops, nil
}

// prepare gives the file the loop's starting state and makes it durable.
func prepare(f *os.File, l Loop) error {
	size := int64(l.Ops) * int64(l.Bytes)
	switch l.Kind {
	case Zeroed:
		zeros := make([]byte, 1<<20)
		for off := int64(0); off < size; off += int64(len(zeros)) {
			if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off); err != nil {
				return err
			}
		}
	case Fallocated:
		if err := unix.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
			return err
		}
	case Growing:
	default:
		return fmt.Errorf("unknown kind %q", l.Kind)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(f.Name()))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Bandwidth writes total bytes in writes of block bytes to a new file under
// dir, then fdatasyncs once, and returns the rate in 10^6 bytes per second:
// the disk's sequential write bandwidth, page cache and flush included.
func Bandwidth(dir string, total int64, block int) (float64, error) {
	path := filepath.Join(dir, "limit-bandwidth")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("limit: %w", err)
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, block)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	start := time.Now()
	for off := int64(0); off < total; off += int64(block) {
		if _, err := f.Write(buf); err != nil {
			return 0, fmt.Errorf("limit: write %s: %w", path, err)
		}
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return 0, fmt.Errorf("limit: fdatasync %s: %w", path, err)
	}
	return float64(total) / time.Since(start).Seconds() / 1e6, nil
}
