package executor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

const demoCode = "import pyexecdemo; print(pyexecdemo.__version__)"

func envDirs(t *testing.T, e *Executor) []string {
	t.Helper()
	entries, err := os.ReadDir(e.envs.dir)
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		if en.IsDir() {
			out = append(out, en.Name())
		}
	}
	return out
}

func TestEnvCacheWarmRunNeedsNoUV(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	req := &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo==1.0.0"}}
	res, err := e.Run(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, "1.0.0\n", res.Stdout, res.Stderr)
	require.False(t, res.Environment.Cached)

	// A second executor on the same data dir whose uv always fails: a warm
	// run of a fully pinned set starts no uv process at all.
	o := e.opts
	o.UV = "/bin/false"
	warm, err := New(&o)
	require.NoError(t, err)
	res, err = warm.Run(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, "1.0.0\n", res.Stdout, res.Stderr)
	require.True(t, res.Environment.Cached)
	require.Equal(t, []string{"pyexecdemo==1.0.0"}, res.ResolvedDependencies)
}

func TestEnvCacheChangedPinsBuildNewEnvironment(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	for _, v := range []string{"1.0.0", "2.0.0", "1.0.0"} {
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo==" + v}})
		require.NoError(t, err)
		require.Equal(t, v+"\n", res.Stdout, res.Stderr)
	}
	require.Len(t, envDirs(t, e), 2)
}

func TestEnvCacheHalfBuiltIsRebuilt(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	req := &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo==1.5.0"}}
	res, err := e.Run(context.Background(), req)
	require.NoError(t, err)
	dir := res.Environment.Path
	// Simulate a builder killed mid-way: the marker is gone, a temporary
	// directory of the same key is left over.
	require.NoError(t, os.Remove(filepath.Join(dir, envMarker)))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "lib")))
	leftover := filepath.Join(filepath.Dir(dir), ".tmp-"+filepath.Base(dir)+"-killed")
	require.NoError(t, os.MkdirAll(leftover, 0o700))

	res, err = e.Run(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, "1.5.0\n", res.Stdout, res.Stderr)
	require.False(t, res.Environment.Cached, "rebuilt")
	_, err = os.Stat(leftover)
	require.True(t, os.IsNotExist(err), "leftover build directory removed")
}

func TestEnvCacheEvictionSparesEnvironmentInUse(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	e.envs.maxBytes = 1 // every build evicts everything it may

	started := make(chan struct{})
	release := filepath.Join(t.TempDir(), "release")
	var wg sync.WaitGroup
	var inUse *Result
	var inUseErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		code := "import os, time, pyexecdemo\nprint(pyexecdemo.__version__, flush=True)\nwhile not os.path.exists(" + strconvQuote(release) + "): time.sleep(0.01)\nimport pyexecdemo as again\nprint('still here')\n"
		inUse, inUseErr = e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo==1.0.0"},
			Stdout: writerFunc(func(p []byte) (int, error) {
				if strings.Contains(string(p), "1.0.0") {
					close(started)
				}
				return len(p), nil
			})})
	}()
	<-started
	// Building another environment evicts what it may; the one in use stays.
	res, err := e.Run(context.Background(), &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo==2.0.0"}})
	require.NoError(t, err)
	require.Equal(t, "2.0.0\n", res.Stdout)
	require.Len(t, envDirs(t, e), 2, "the environment in use was not evicted")
	require.NoError(t, os.WriteFile(release, nil, 0o600))
	wg.Wait()
	require.NoError(t, inUseErr)
	require.Equal(t, "1.0.0\nstill here\n", inUse.Stdout, inUse.Stderr)

	// Now unused, the 1.0.0 environment goes at the next build.
	_, err = e.Run(context.Background(), &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo==1.5.0"}})
	require.NoError(t, err)
	require.Len(t, envDirs(t, e), 1)
}

func strconvQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

// TestEnvCacheConcurrentProcesses starts two copies of the test binary that
// use the same data directory for the first time at once.
func TestEnvCacheConcurrentProcesses(t *testing.T) {
	t.Parallel()
	wheels := t.TempDir()
	writeWheel(t, wheels, "pyexecdemo", "1.0.0")
	data, cache := t.TempDir(), t.TempDir()
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "PYEXEC_ENV_HELPER=1", "PYEXEC_ENV_DATA="+data, "PYEXEC_ENV_WHEELS="+wheels,
				"PYEXEC_ENV_CACHE="+cache, "PYEXEC_TEST_PYTHON="+testenv.Python(t), "PYEXEC_TEST_UV="+testenv.UV(t))
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i := range 2 {
		require.NoError(t, errs[i], outs[i])
		require.Contains(t, outs[i], "RESULT 1.0.0")
	}
	entries, err := os.ReadDir(filepath.Join(data, "envs"))
	require.NoError(t, err)
	var dirs []string
	for _, en := range entries {
		if en.IsDir() {
			dirs = append(dirs, en.Name())
		}
	}
	require.Len(t, dirs, 1, "one environment, no leftovers: %v", dirs)
}

// envCacheHelper is the body of the helper processes of
// TestEnvCacheConcurrentProcesses, run from TestMain.
func envCacheHelper() error {
	e, err := New(&Options{Python: os.Getenv("PYEXEC_TEST_PYTHON"), UV: os.Getenv("PYEXEC_TEST_UV"), DataDir: os.Getenv("PYEXEC_ENV_DATA"),
		UVCacheDir: os.Getenv("PYEXEC_ENV_CACHE"), TempDir: os.TempDir(),
		UVArgs: []string{"--offline", "--no-index", "--find-links", os.Getenv("PYEXEC_ENV_WHEELS")}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := e.Run(ctx, &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo==1.0.0"}})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("exit %d: %s", res.ExitCode, res.Stderr)
	}
	fmt.Print("RESULT " + res.Stdout)
	return nil
}

// TestEnvCacheConsoleScripts: entry-point scripts installed into a cached
// environment run with the environment's interpreter, also after the
// environment was renamed into place.
func TestEnvCacheConsoleScripts(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	wheels := e.opts.UVArgs[len(e.opts.UVArgs)-1]
	_, err := testenv.WriteWheel(wheels, testenv.Wheel{Name: "pyexecep", Version: "1.0.0", Files: map[string]string{
		"pyexecep/__init__.py":                      "def main():\n    import sys, pyexecdemo\n    print('entry point', pyexecdemo.__version__, sys.prefix == sys.base_prefix)\n",
		"pyexecep-1.0.0.dist-info/entry_points.txt": "[console_scripts]\npyexecep = pyexecep:main\n",
	}, Requires: []string{"pyexecdemo==2.0.0"}})
	require.NoError(t, err)
	res, err := e.Run(context.Background(), &Request{UseUV: true, Dependencies: []string{"pyexecep==1.0.0"},
		Code: "import subprocess\nsubprocess.run(['pyexecep'], check=True)\n"})
	require.NoError(t, err)
	require.Equal(t, "entry point 2.0.0 False\n", res.Stdout, res.Stderr)
	require.Equal(t, []string{"pyexecdemo==2.0.0", "pyexecep==1.0.0"}, res.ResolvedDependencies)
}
