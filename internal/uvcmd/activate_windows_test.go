package uvcmd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestActivateWindowsPath: Windows' PATH is usually spelled "Path"; the
// venv's Scripts goes first on it, and no second PATH entry is made (os/exec
// would keep only one of the two).
func TestActivateWindowsPath(t *testing.T) {
	t.Parallel()
	env := Activate([]string{`Path=C:\Windows\system32;C:\Windows`, "VIRTUAL_ENV=C:\\old", "A=1"}, `C:\data\envs\abc`)
	require.Equal(t, []string{"A=1", `VIRTUAL_ENV=C:\data\envs\abc`, `PATH=C:\data\envs\abc\Scripts;C:\Windows\system32;C:\Windows`}, env)
}
