package filelock_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pyexec-mcp/pyexec/internal/filelock"
)

// Two open files of one path exclude each other, as two processes' would.
func Example() {
	dir, err := os.MkdirTemp("", "filelock")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "lock")
	a, _ := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	defer a.Close()
	b, _ := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	defer b.Close()

	ok, err := filelock.TryLock(a, true)
	if err == nil && ok {
		defer filelock.Unlock(a)
	}
	fmt.Println("a holds it:", ok)
	ok, _ = filelock.TryLock(b, true)
	fmt.Println("b gets it too:", ok)
	// Output:
	// a holds it: true
	// b gets it too: false
}
