package kernel

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSourceFitsAWindowsCommandLine: the kernel starts as `python -u -c
// Source`, and Windows limits a command line to 32,767 characters, quotes
// escaped (a " becomes \", backslashes before one double). The bound here
// counts every backslash twice and leaves 1,024 characters for the
// interpreter's path: kernel.py must stay within it.
func TestSourceFitsAWindowsCommandLine(t *testing.T) {
	t.Parallel()
	n := len(Source) + strings.Count(Source, `"`) + 2*strings.Count(Source, `\`) + len(` -u -c ""`) + 1024
	require.Less(t, n, 32767, "kernel.py is too long for a Windows command line")
}
