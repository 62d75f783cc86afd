package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// TempDir is t.TempDir for the tests that also run under Wine (scripts/
// test.sh): Wine 8 lacks the file disposition class that os.RemoveAll uses
// on Windows (FileDispositionInformationEx, "Invalid function"), so the
// test's own cleanup of t.TempDir fails there. On Windows this removes each
// file and directory with os.Remove (DeleteFile, RemoveDirectory) first,
// deepest first, which both Wine and Windows implement; elsewhere it is
// t.TempDir.
func TempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if runtime.GOOS != "windows" {
		return dir
	}
	// Registered after t.TempDir's, so it runs before it.
	t.Cleanup(func() {
		var paths []string
		_ = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			if err == nil {
				paths = append(paths, p)
			}
			return nil
		})
		for _, p := range slices.Backward(paths) {
			_ = os.Remove(p)
		}
		// t.TempDir's parent, shared by a test's temporary directories:
		// empty once the last of them is gone.
		_ = os.Remove(filepath.Dir(dir))
	})
	return dir
}
