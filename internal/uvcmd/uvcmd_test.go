package uvcmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckRequirement(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"six", "requests>=2.31", "numpy==1.26.*", "pkg[a,b]>=1; python_version >= '3.8'", "demo @ file:///tmp/d-1.0-py3-none-any.whl", "a.b_c-d~=1.0"} {
		require.NoError(t, CheckRequirement(ok), ok)
	}
	for _, bad := range []string{"", "  ", "--index-url=https://evil.example/simple", "-e .", "foo bar", "a\nb", "(x)", "pkg; ;$(rm -rf)", strings.Repeat("a", MaxRequirementBytes+1)} {
		err := CheckRequirement(bad)
		require.Error(t, err, "%q", bad)
		if len(bad) < 100 {
			require.Contains(t, err.Error(), fmt.Sprintf("%q", bad), "the message quotes the input")
		}
	}
}

func TestIsPinned(t *testing.T) {
	t.Parallel()
	require.True(t, IsPinned("six==1.16.0"))
	require.True(t, IsPinned(" six==1.16.0 "))
	for _, r := range []string{"six", "six>=1", "six==1.*", "six==1.16; python_version>'3'", "six[x]==1", "==1"} {
		require.False(t, IsPinned(r), r)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	in := []string{"PATH=/bin", "VIRTUAL_ENV=/v", "CONDA_PREFIX=/c", "UV_PYTHON_DOWNLOADS=automatic", "UV_CACHE_DIR=/old", "KEEP=1"}
	got := Env(in, false, "")
	require.ElementsMatch(t, []string{"PATH=/bin", "UV_CACHE_DIR=/old", "KEEP=1", "UV_PYTHON_DOWNLOADS=never", "UV_NO_PROGRESS=1"}, got)
	got = Env(in, true, "/new")
	require.ElementsMatch(t, []string{"PATH=/bin", "KEEP=1", "UV_PYTHON_DOWNLOADS=automatic", "UV_NO_PROGRESS=1", "UV_CACHE_DIR=/new"}, got)
}

func TestActivate(t *testing.T) {
	t.Parallel()
	got := Activate([]string{"PATH=/usr/bin", "VIRTUAL_ENV=/old", "PYTHONHOME=/x", "A=1"}, "/venv")
	require.ElementsMatch(t, []string{"A=1", "VIRTUAL_ENV=/venv", "PATH=/venv/bin:/usr/bin"}, got)
	got = Activate(nil, "/venv")
	require.ElementsMatch(t, []string{"VIRTUAL_ENV=/venv", "PATH=/venv/bin"}, got)
}

func TestFindAndRun(t *testing.T) {
	t.Parallel()
	_, err := Find("/no/such/uv")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = Find("no-such-uv-binary-here")
	require.ErrorIs(t, err, ErrNotFound)

	// Run reports a failing command's stderr as the message.
	script := filepath.Join(t.TempDir(), "fake-uv")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ncat\necho \"bad $1\" >&2\nexit 2\n"), 0o700))
	p, err := Find(script)
	require.NoError(t, err)
	out, _, err := Run(context.Background(), Cmd{UV: p, Args: []string{"pip", "compile"}, Stdin: "six\n"})
	require.Equal(t, "six\n", out)
	var ue *Error
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "bad pip", ue.Message)
	require.Equal(t, "uv pip compile: bad pip", err.Error())
	require.True(t, slices.Equal([]string{"pip", "compile"}, ue.Args))
}
