package smartasync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newRunner returns a Runner over store that the test closes at its end.
// Options.Store is set to store.
func newRunner(t *testing.T, store *memStore, opts *smartasync.Options) *smartasync.Runner {
	t.Helper()
	if opts == nil {
		opts = &smartasync.Options{}
	}
	opts.Store = store
	r, err := smartasync.NewRunner(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// waitJob waits (bounded) until the job id is recorded.
func waitJob(t *testing.T, r *smartasync.Runner, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, r.Wait(ctx, id))
}

// sleepCtx sleeps d (fake time inside a synctest bubble) or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
