package smartasync

import (
	"context"
	"encoding/json"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// Store is the durable job store a Runner records jobs in. It is declared here,
// by its consumer; *jobstore.Store implements it. Implementations must be safe
// for concurrent use: a Runner calls them from many goroutines, though never
// concurrently for the same job id.
//
// A Runner calls CreateJob with the request's context (its error is returned
// to the caller and the work does not run). Every later call uses a context
// that keeps the request's values but not its cancellation; errors from them
// are logged, never returned.
type Store interface {
	// CreateJob creates a record in state "pending" and returns its id.
	CreateJob(ctx context.Context, kind, label string) (id string, err error)
	// SetRunning moves the record to "running".
	SetRunning(ctx context.Context, id string) error
	// SetProgress records the latest progress of the job.
	SetProgress(ctx context.Context, id string, current, total float64, message string) error
	// FinishJob records the final state: "completed" (with result, the JSON of
	// the value), "failed" or "cancelled" (with errMsg).
	FinishJob(ctx context.Context, id string, state jobstore.State, result json.RawMessage, errMsg string) error
	// DiscardJob deletes the record and its logs.
	DiscardJob(ctx context.Context, id string) error
}
