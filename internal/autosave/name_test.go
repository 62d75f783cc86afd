package autosave

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"a.py", "../x", "/etc/passwd", ".env", "a/b", `a\b`, "..", "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if checkName(name) != nil {
			return
		}
		// An accepted name stays inside its directory.
		require.Equal(t, name, filepath.Base(name))
		require.False(t, strings.HasPrefix(name, "."))
		require.True(t, filepath.IsLocal(name))
	})
}
