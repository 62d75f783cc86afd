package executor

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// writeWheel writes a wheel of name whose module prints its version.
func writeWheel(t testing.TB, dir, name, version string, requires ...string) {
	t.Helper()
	_, err := testenv.WriteWheel(dir, testenv.Wheel{Name: name, Version: version, Requires: requires})
	require.NoError(t, err)
}

// offlineExecutor uses a local wheel directory as the only index and a fresh
// uv cache.
func offlineExecutor(t *testing.T) *Executor {
	t.Helper()
	wheels := t.TempDir()
	for _, v := range []string{"1.0.0", "1.5.0", "2.0.0"} {
		writeWheel(t, wheels, "pyexecdemo", v)
	}
	writeWheel(t, wheels, "pyexecdep", "0.3.0", "pyexecdemo<2")
	return newExecutor(t, true, func(o *Options) {
		o.UVArgs = []string{"--offline", "--no-index", "--find-links", wheels}
		o.UVCacheDir = t.TempDir()
	})
}

func TestDependenciesOffline(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	code := "import pyexecdemo; print(pyexecdemo.__version__)"
	t.Run("range picks the newest matching version", func(t *testing.T) {
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo>=1.1,<2"}})
		require.NoError(t, err)
		require.Equal(t, "1.5.0\n", res.Stdout, res.Stderr)
		require.Equal(t, []string{"pyexecdemo==1.5.0"}, res.ResolvedDependencies)
		require.Equal(t, StrategyUV, res.Strategy)
	})
	t.Run("transitive dependencies are reported", func(t *testing.T) {
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdep"}})
		require.NoError(t, err)
		require.Equal(t, "1.5.0\n", res.Stdout, res.Stderr)
		require.Equal(t, []string{"pyexecdemo==1.5.0", "pyexecdep==0.3.0"}, res.ResolvedDependencies)
	})
	t.Run("PEP 723 block merged with explicit", func(t *testing.T) {
		src := "# /// script\n# dependencies = [\n#   \"pyexecdemo==1.0.0\",  # pinned\n# ]\n# ///\n" + code
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: src})
		require.NoError(t, err)
		require.Equal(t, "1.0.0\n", res.Stdout, res.Stderr)
	})
	t.Run("unsatisfiable", func(t *testing.T) {
		_, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo>=3"}})
		require.ErrorIs(t, err, ErrResolution)
		require.Contains(t, err.Error(), "pyexecdemo")
	})
	t.Run("isolated from system site-packages", func(t *testing.T) {
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: "import sys; print(sys.prefix != sys.base_prefix)"})
		require.NoError(t, err)
		require.Equal(t, "True\n", res.Stdout, res.Stderr)
	})
}

// closedIndex is a package index nobody serves: a closed loopback port,
// refused at once and without the network.
const closedIndex = "http://127.0.0.1:1/simple"

// TestResolutionFailureBlame: a requirement the index does not have is the
// requirement's fault (ErrResolution, naming it); an index uv cannot reach
// is the server's (an *IndexError naming the index), whatever the
// requirement.
func TestResolutionFailureBlame(t *testing.T) {
	t.Parallel()
	code := "import pyexecdemo"
	// UV_HTTP_RETRIES=0: a refused connection fails at once, not after
	// uv's retries.
	noRetries := append(os.Environ(), "UV_HTTP_RETRIES=0")
	requireIndexError := func(t *testing.T, err error, index string) *IndexError {
		t.Helper()
		require.ErrorIs(t, err, ErrIndexUnreachable)
		require.NotErrorIs(t, err, ErrResolution, "not the requirements' fault")
		require.NotErrorIs(t, err, ErrInvalidRequest)
		var ie *IndexError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, index, ie.Index)
		require.Contains(t, ie.Cause, "Connection refused")
		require.Contains(t, err.Error(), "could not reach the package index "+index+" (fetching "+index+"/pyexecdemo/")
		require.Contains(t, err.Error(), "UV_INDEX_URL")
		return ie
	}
	t.Run("unreachable index from the environment", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, true, func(o *Options) {
			o.BaseEnv = append(noRetries, "UV_INDEX_URL="+closedIndex)
			o.UVCacheDir = t.TempDir()
		})
		_, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo>=1"}})
		requireIndexError(t, err, closedIndex)
	})
	t.Run("unreachable index from UVArgs", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, true, func(o *Options) {
			o.BaseEnv = noRetries
			o.UVArgs = []string{"--index-url", closedIndex + "/"}
			o.UVCacheDir = t.TempDir()
		})
		_, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo==1.0.0"}})
		requireIndexError(t, err, closedIndex)
	})
	t.Run("a requirement's own unreachable URL is the requirement's", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, true, func(o *Options) {
			o.BaseEnv = noRetries
			o.UVArgs = []string{"--no-index"}
			o.UVCacheDir = t.TempDir()
		})
		req := "pyexecdemo @ http://127.0.0.1:1/pyexecdemo-1.0.0-py3-none-any.whl"
		_, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{req}})
		require.ErrorIs(t, err, ErrResolution)
		require.NotErrorIs(t, err, ErrIndexUnreachable)
		require.Contains(t, err.Error(), "Connection refused", "uv did try the URL")
	})
	t.Run("offline without the package cached", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, true, func(o *Options) {
			o.UVArgs = []string{"--offline"}
			o.UVCacheDir = t.TempDir()
		})
		_, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo"}})
		require.ErrorIs(t, err, ErrIndexUnreachable)
		require.NotErrorIs(t, err, ErrResolution)
		var ie *IndexError
		require.ErrorAs(t, err, &ie)
		require.True(t, ie.Offline)
		require.Contains(t, err.Error(), "drop --offline")
	})
	t.Run("no such package", func(t *testing.T) {
		t.Parallel()
		_, err := offlineExecutor(t).Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecnosuch>=1"}})
		require.ErrorIs(t, err, ErrResolution)
		require.NotErrorIs(t, err, ErrIndexUnreachable)
		require.Contains(t, err.Error(), "pyexecnosuch")
		require.Contains(t, err.Error(), "fix or drop the requirement")
	})
	t.Run("no such version", func(t *testing.T) {
		t.Parallel()
		_, err := offlineExecutor(t).Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo>=3"}})
		require.ErrorIs(t, err, ErrResolution)
		require.NotErrorIs(t, err, ErrIndexUnreachable)
		require.Contains(t, err.Error(), "pyexecdemo>=3")
	})
}

func TestDependenciesRealIndex(t *testing.T) {
	t.Parallel()
	if !testenv.InCI() && os.Getenv("PYEXEC_NETWORK_TESTS") == "" {
		t.Skip("uses the real package index; runs in CI or with PYEXEC_NETWORK_TESTS=1")
	}
	e := newExecutor(t, true, nil)
	res, err := e.Run(context.Background(), &Request{UseUV: true, Code: "import six; print(six.__version__)", Dependencies: []string{"six>=1.16,<1.17"}})
	require.NoError(t, err)
	require.Equal(t, "1.16.0\n", res.Stdout, res.Stderr)
	require.Equal(t, []string{"six==1.16.0"}, res.ResolvedDependencies)
}

func TestUVMissing(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, func(o *Options) { o.UV = "/no/such/uv" })
	_, err := e.Run(context.Background(), &Request{UseUV: true, Code: "pass"})
	require.ErrorIs(t, err, ErrUVNotFound)
	require.Contains(t, err.Error(), "pip install --user uv")
	res, err := e.Run(context.Background(), &Request{Code: "print('still works')"})
	require.NoError(t, err)
	require.Equal(t, "still works\n", res.Stdout)
}

func TestParseScriptMetadata(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      scriptMetadata
		err       string
	}{
		{"none", "print(1)", scriptMetadata{}, ""},
		{"full", "# /// script\n# requires-python = \">=3.11\"\n# dependencies = [\n#   \"requests<3\",\n#   'rich',  # comment\n# ]\n#\n# [tool.uv]\n# exclude-newer = \"2024-01-01\"\n# ///\nimport requests\n",
			scriptMetadata{Dependencies: []string{"requests<3", "rich"}, RequiresPython: ">=3.11"}, ""},
		{"inline array", "# /// script\n# dependencies = [\"a\", \"b\"]\n# ///\n", scriptMetadata{Dependencies: []string{"a", "b"}}, ""},
		{"unclosed", "# /// script\n# dependencies = []\n", scriptMetadata{}, "not closed"},
		{"bad line", "# /// script\nimport x\n# ///\n", scriptMetadata{}, "not closed before line 2"},
		{"not strings", "# /// script\n# dependencies = [1]\n# ///\n", scriptMetadata{}, "strings"},
		{"unterminated string", "# /// script\n# dependencies = [\"a]\n# ///\n", scriptMetadata{}, "unterminated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, err := parseScriptMetadata(tc.src)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, md)
		})
	}
}

func FuzzParseScriptMetadata(f *testing.F) {
	f.Add("# /// script\n# dependencies = [\"a\", 'b'] # c\n# requires-python = \">=3.9\"\n# ///\n")
	f.Add("# /// script\n# x = [\n# ]\n# ///")
	f.Add("# /// script\n# a = \"\\n\\q\"\n# ///")
	f.Fuzz(func(t *testing.T, src string) {
		md, err := parseScriptMetadata(src)
		if err != nil {
			return
		}
		for _, d := range md.Dependencies {
			_ = validateRequirement(d) // must not panic either
		}
	})
}

func TestRequiresPythonSpecifiers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v, spec string
		ok      bool
	}{
		{"3.12.1", ">=3.10", true}, {"3.9.18", ">=3.10", false}, {"3.12.1", ">=3.10,<3.12", false},
		{"3.11.7", "==3.11.*", true}, {"3.11.7", "==3.11", true}, {"3.12.1", "!=3.12.*", false},
		{"3.11.7", "~=3.10", true}, {"4.0.0", "~=3.10", false}, {"3.10.13", ">3.10", true},
	}
	for _, tc := range cases {
		ok, err := satisfiesRequiresPython(tc.v, tc.spec)
		require.NoError(t, err)
		require.Equal(t, tc.ok, ok, "%s %s", tc.v, tc.spec)
	}
	_, err := satisfiesRequiresPython("3.12.1", "3.12")
	require.ErrorIs(t, err, ErrInvalidRequest)
}
