package smartasync_test

import (
	"context"
	"testing"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

// BenchmarkCall measures the overhead of a call whose work returns at once:
// CreateJob, the job's goroutines and context, the hand-off of the value (the
// SetRunning and DiscardJob writes happen off the caller's path).
func BenchmarkCall(b *testing.B) {
	store := newMemStore()
	r, err := smartasync.NewRunner(&smartasync.Options{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) { return 1, nil })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := sa.Call(ctx, struct{}{}, smartasync.Call{})
		if err != nil || !out.Done {
			b.Fatal(out, err)
		}
	}
}

// BenchmarkCallParallel is BenchmarkCall from GOMAXPROCS goroutines.
func BenchmarkCallParallel(b *testing.B) {
	store := newMemStore()
	r, err := smartasync.NewRunner(&smartasync.Options{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) { return 1, nil })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			out, err := sa.Call(ctx, struct{}{}, smartasync.Call{})
			if err != nil || !out.Done {
				b.Error(out, err)
				return
			}
		}
	})
}

// BenchmarkCallAsync measures starting a background job and waiting for its
// record.
func BenchmarkCallAsync(b *testing.B) {
	store := newMemStore()
	r, err := smartasync.NewRunner(&smartasync.Options{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) { return 1, nil })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := sa.Call(ctx, struct{}{}, smartasync.Call{Async: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Wait(ctx, out.JobID); err != nil {
			b.Fatal(err)
		}
	}
}
