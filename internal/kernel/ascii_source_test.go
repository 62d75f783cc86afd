package kernel

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestSourceIsASCII: the kernel runs as `python -c Source`, and Python 3.6
// decodes its command line with the locale's encoding: under LANG=C (a
// service manager's bare environment) one non-ASCII character stops the
// kernel before it starts ("Unable to decode the command from the command
// line"). Non-ASCII text in the kernel is written as \u escapes.
func TestSourceIsASCII(t *testing.T) {
	t.Parallel()
	for i, r := range Source {
		require.Less(t, r, rune(utf8.RuneSelf), "kernel.py has %q at byte %d: write it as a \\u escape", r, i)
	}
}
