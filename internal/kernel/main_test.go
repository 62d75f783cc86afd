package kernel

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(channelHelperEnv) != "" {
		os.Exit(channelHelper())
	}
	goleak.VerifyTestMain(m)
}

// start starts a kernel in a temporary directory; the test closes it.
func start(t testing.TB, cfg *Config) *Kernel {
	t.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	if cfg.Python == "" {
		cfg.Python = testenv.Python(t)
	}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, err := Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, k.Close()) })
	return k
}

// run executes code with a generous deadline and no limits.
func run(t testing.TB, k *Kernel, code string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := k.Execute(ctx, code, nil)
	require.NoError(t, err)
	return res
}

func testCommand(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
