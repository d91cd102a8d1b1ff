package aferofs

import (
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/raftlog/raftlog/fs"
)

// lockTable is the lock of every aferoFS: a second Lock of the same
// directory in this process fails, whatever the backend.
type lockTable struct {
	mu   sync.Mutex
	held map[string]bool
}

var locks = &lockTable{held: map[string]bool{}}

func (t *lockTable) lock(dir string) (io.Closer, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		key = filepath.Clean(dir)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held[key] {
		// The holder can only be this process.
		host, _ := os.Hostname()
		return nil, &fs.LockedError{Dir: dir, PID: os.Getpid(), Host: host}
	}
	t.held[key] = true
	return &release{t: t, key: key}, nil
}

// release frees its key at most once: a second Close, after another holder
// has taken the directory, must not free that one's lock.
type release struct {
	t    *lockTable
	key  string
	once sync.Once
}

func (r *release) Close() error {
	r.once.Do(func() {
		r.t.mu.Lock()
		delete(r.t.held, r.key)
		r.t.mu.Unlock()
	})
	return nil
}
