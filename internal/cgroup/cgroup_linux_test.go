package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValidateRefuses: a recorded path is acted on only if it is a pyexec
// cgroup below Root.
func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	fake := filepath.Join(tmp, "pyexec-1-2-0123456789abcdef")
	require.NoError(t, os.Mkdir(fake, 0o700))
	link := filepath.Join(tmp, "link")
	require.NoError(t, os.Symlink(Root, link))
	for _, dir := range []string{
		"",
		"pyexec-1-2-0123456789abcdef",
		fake, // the right name outside a cgroup file system
		Root,
		Root + "/pids",
		Root + "/pids/../pids/pyexec-1-2-0123456789abcdef",
		Root + "/pids/pyexec-1-2-0123456789abcdef/",
		Root + "/pids/not-ours",
		Root + "/pids/pyexec-1-2-0123456789abcdef/cgroup.procs",
		link + "/pids/pyexec-1-2-0123456789abcdef",
		"/proc/self/pyexec-1-2-0123456789abcdef",
	} {
		t.Run(strconv.Quote(dir), func(t *testing.T) {
			err := Validate(dir)
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrInvalid) || errors.Is(err, fs.ErrNotExist), "%v", err)
		})
	}
	err := Validate(Root + "/pids/pyexec-1-2-0123456789abcdef")
	require.ErrorIs(t, err, fs.ErrNotExist, "a cgroup that is gone")
}

func TestKillAndRemoveWhatIsGone(t *testing.T) {
	t.Parallel()
	gone := filepath.Join(t.TempDir(), "pyexec-1-2-0123456789abcdef")
	require.NoError(t, Kill(gone))
	require.NoError(t, Remove(gone))
}
