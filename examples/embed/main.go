// Command embed shows pyexec used as a library: an MCP server of your own
// that serves the pyexec tools next to its own Go tool, count_primes, which
// mcptools.AddSmartTool registers as a smart-async tool (a
// smartasync.SmartAsync[In, Out] underneath) with progress. The Go tool
// shares the pyexec job system: a long count continues as a background job that
// py_job_status, py_list_jobs and py_cancel_job see like any other, and a
// waiting client gets progress notifications.
//
//	go run ./examples/embed                      # an MCP server over stdio
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)) // never stdout: it is the transport
	server, ts, err := newServer(ctx, &mcptools.Options{Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	// On a signal, cancel running work (and kill its processes) first, then
	// end the session.
	context.AfterFunc(ctx, func() { _ = ts.Close(); cancelRun() })
	err = server.Run(runCtx, mcptools.StdioTransport(os.Stdin, os.Stdout, nil))
	_ = ts.Close()
	if err != nil && runCtx.Err() == nil {
		log.Fatal(err)
	}
}

// newServer returns a server with the pyexec tools and count_primes. The
// caller closes the Toolset before the server's sessions.
func newServer(ctx context.Context, opts *mcptools.Options) (*mcp.Server, *mcptools.Toolset, error) {
	ts, err := mcptools.New(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "embed-example", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)
	// count_primes runs under the Toolset's smart async: the value within
	// the budget, else a background job of the same job system as the
	// Python runs, with progress to the client and the job.
	mcptools.AddSmartTool(ts, server, mcptools.SmartTool[PrimesArgs, Primes]{
		Tool: &mcp.Tool{Name: "count_primes", Description: "Count the primes below limit (a CPU-bound Go function). " +
			"Long counts continue as a background job: the result then has job_id; follow it with py_job_status, stop it with py_cancel_job."},
		Check: func(in PrimesArgs) error {
			if in.Limit < 2 || in.Limit > maxLimit {
				return fmt.Errorf("limit %d is out of range: give a number from 2 to %d", in.Limit, maxLimit)
			}
			return nil
		},
		Work: func(ctx context.Context, job *smartasync.Job[PrimesArgs]) (Primes, error) {
			return countPrimes(ctx, job.Input.Limit, job.Progress)
		},
		Text: func(p Primes) string {
			return fmt.Sprintf("%d primes below %d; the largest is %d.", p.Count, p.Limit, p.Largest)
		},
	})
	return server, ts, nil
}

// PrimesArgs are the arguments of count_primes.
type PrimesArgs struct {
	Limit int `json:"limit" jsonschema:"Count the primes below this number."`
	mcptools.SmartArgs
}

// Primes is the value of a count: also the stored result of a background
// count.
type Primes struct {
	Limit   int `json:"limit"`
	Count   int `json:"count"`
	Largest int `json:"largest"`
}

// maxLimit bounds the sieve's memory (one byte a number).
const maxLimit = 100_000_000

// countPrimes sieves the numbers below limit in blocks, reporting progress
// after each block and stopping when ctx is cancelled (py_cancel_job).
func countPrimes(ctx context.Context, limit int, progress smartasync.ProgressFunc) (Primes, error) {
	composite := make([]bool, limit)
	res := Primes{Limit: limit}
	const block = 1 << 16
	last := time.Now()
	for i := 2; i < limit; i++ {
		if i%block == 0 {
			if err := ctx.Err(); err != nil {
				return res, context.Cause(ctx)
			}
			if time.Since(last) > 50*time.Millisecond {
				progress(float64(i), float64(limit), fmt.Sprintf("sieved %d of %d", i, limit))
				last = time.Now()
			}
		}
		if composite[i] {
			continue
		}
		res.Count++
		res.Largest = i
		if i > limit/i {
			continue // no multiples left to mark
		}
		if err := ctx.Err(); err != nil {
			return res, context.Cause(ctx)
		}
		for j := i * i; j < limit; j += i {
			composite[j] = true
		}
	}
	progress(float64(limit), float64(limit), "done")
	return res, nil
}
