package fs

// closerFunc makes a func an io.Closer. It calls the func on every Close:
// a func that must act once guards itself (sync.Once).
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
