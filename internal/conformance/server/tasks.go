package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// greetArgs are the arguments of greet.
type greetArgs struct {
	Name string `json:"name" jsonschema:"Who to greet."`
}

// computeArgs are the arguments of slow_compute.
type computeArgs struct {
	Seconds float64 `json:"seconds" jsonschema:"How long to work; 0 answers at once."`
	Label   string  `json:"label,omitempty" jsonschema:"A label echoed in the result."`
	mcptools.SmartArgs
}

// computed is the value of slow_compute.
type computed struct {
	Seconds float64 `json:"seconds"`
	Label   string  `json:"label,omitempty"`
}

// deleteArgs are the arguments of confirm_delete.
type deleteArgs struct {
	Filename string `json:"filename" jsonschema:"The file to delete."`
	mcptools.SmartArgs
}

// jobArgs are the arguments of failing_job, protocol_error_job and
// test_tool_with_progress.
type jobArgs struct {
	mcptools.SmartArgs
}

// failAfter is how long failing_job, protocol_error_job and confirm_delete
// work before they end: past the budget, so that they end as tasks.
const failAfter = time.Second

// sleep waits d or until ctx ends (a cancelled job, tasks/cancel).
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// addTaskTools registers the fixtures of the tasks scenarios: greet, a
// synchronous tool, and the smart-async tools, whose calls past the budget
// continue as jobs (tasks, for a client of the tasks extension).
func addTaskTools(ts *mcptools.Toolset, s *mcp.Server) {
	mcptools.AddTool(s, &mcp.Tool{Name: "greet", Description: "Says hello (synchronous)."},
		func(_ context.Context, _ *mcp.CallToolRequest, in greetArgs) (*mcp.CallToolResult, any, error) {
			return text(fmt.Sprintf("Hello, %s!", in.Name)), nil, nil
		})
	mcptools.AddSmartTool(ts, s, mcptools.SmartTool[computeArgs, computed]{
		Tool: &mcp.Tool{Name: "slow_compute", Description: "Works for seconds, then answers; past the budget it continues as a job."},
		Check: func(in computeArgs) error {
			if in.Seconds < 0 || in.Seconds > 600 {
				return fmt.Errorf("seconds %v is out of range: give 0 to 600", in.Seconds)
			}
			return nil
		},
		Work: func(ctx context.Context, job *smartasync.Job[computeArgs]) (computed, error) {
			err := sleep(ctx, time.Duration(job.Input.Seconds*float64(time.Second)))
			return computed{Seconds: job.Input.Seconds, Label: job.Input.Label}, err
		},
		Text: func(out computed) string {
			return fmt.Sprintf("computed for %gs (%s)", out.Seconds, out.Label)
		},
	})
	mcptools.AddSmartTool(ts, s, mcptools.SmartTool[jobArgs, string]{
		Tool: &mcp.Tool{Name: "failing_job", Description: "Works for a second, then fails with a tool error."},
		Work: func(ctx context.Context, _ *smartasync.Job[jobArgs]) (string, error) {
			if err := sleep(ctx, failAfter); err != nil {
				return "", err
			}
			return "", errors.New("failing_job failed, as it always does")
		},
	})
	// The suite's confirm_delete parks its task for an elicitation. pyexec's
	// tasks never ask for input, so this one is an ordinary task: it ends
	// after a second, and tasks/update (which the dispatch scenario sends
	// it) meets a real task.
	mcptools.AddSmartTool(ts, s, mcptools.SmartTool[deleteArgs, string]{
		Tool: &mcp.Tool{Name: "confirm_delete", Description: "Works for a second, then reports that it deleted nothing (it never asks for confirmation)."},
		Work: func(ctx context.Context, job *smartasync.Job[deleteArgs]) (string, error) {
			if err := sleep(ctx, failAfter); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s kept: nothing is deleted without a confirmation, and pyexec's tasks never ask", job.Input.Filename), nil
		},
		Text: func(out string) string { return out },
	})
	mcptools.AddSmartTool(ts, s, mcptools.SmartTool[jobArgs, string]{
		Tool: &mcp.Tool{Name: "protocol_error_job", Description: "Works for a second, then panics (an internal error)."},
		Work: func(ctx context.Context, _ *smartasync.Job[jobArgs]) (string, error) {
			if err := sleep(ctx, failAfter); err != nil {
				return "", err
			}
			panic("protocol_error_job panics, as it always does")
		},
	})
	mcptools.AddSmartTool(ts, s, mcptools.SmartTool[jobArgs, string]{
		Tool: &mcp.Tool{Name: "test_tool_with_progress", Description: "Reports progress 0, 50 and 100 of 100, then answers."},
		Work: func(ctx context.Context, job *smartasync.Job[jobArgs]) (string, error) {
			for i, p := range []float64{0, 50, 100} {
				if i > 0 {
					// Ten progress intervals apart: the throttle sends each.
					if err := sleep(ctx, 10*progressInterval); err != nil {
						return "", err
					}
				}
				job.Progress(p, 100, fmt.Sprintf("step %d of 3", i+1))
			}
			return "progress reported", nil
		},
		Text: func(out string) string { return out },
	})
}
