//go:build !linux

package storetest

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// killRecordedProcess records this test's own process as job id's, and
// requires p.Kill to refuse it: without /proc no start time tells a job's
// process from an unrelated one that reuses its pid, so nothing is killed
// and the error says why (errors.ErrUnsupported); the owner stops its job.
func killRecordedProcess(t *testing.T, b, p jobstore.Backend, id string) {
	ctx := t.Context()
	require.NoError(t, b.SetProcess(ctx, id, jobstore.Process{PID: os.Getpid()}))
	err := p.Kill(ctx, id)
	require.True(t, errors.Is(err, errors.ErrUnsupported), "Kill without /proc: %v", err)
}
