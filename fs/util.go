package fs

import (
	"io"
	"os"
)

// ReadFile returns the whole content of name.
func ReadFile(fsys FS, name string) ([]byte, error) { return ReadFileInto(fsys, name, nil) }

// ReadFileInto is ReadFile into buf's storage when it has room for the
// file (and a byte more), so that a caller reading many files reuses one
// buffer; the result aliases buf then.
func ReadFileInto(fsys FS, name string, buf []byte) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One allocation of the file's size (and a byte more, to see the end
	// without a second buffer): io.ReadAll alone doubles its way up from
	// 512 bytes, copying a file of megabytes a dozen times.
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() < 1<<30 {
		size = int(fi.Size())
	}
	b := buf[:0]
	if cap(b) < size+1 {
		b = make([]byte, 0, size+1)
	}
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// WriteFile creates or truncates name and writes data to it. It does not
// sync anything: durability is the caller's decision.
func WriteFile(fsys FS, name string, data []byte, perm os.FileMode) error {
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
