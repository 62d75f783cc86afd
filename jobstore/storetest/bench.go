package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// BenchJobs is the size of the fixture Bench measures on.
const BenchJobs = 10_000

// Bench measures one backend on a store of BenchJobs jobs (5% running, 15%
// failed, 80% completed with a small result, four kinds), built once
// through the Backend interface — the same fixture
// and the same operations for every backend, so their figures compare:
//
//   - Get: one job's status;
//   - List/running/limit50 and List/kind/limit50: a filter and a page;
//   - SetProgress: a running job's progress;
//   - AppendLog/1KiB and /64KiB: output appended (b.SetBytes: MB/s);
//   - ReadLog/64KiB: output read back from an offset.
//
// s must be empty and have retention off (MaxJobs < 0); building the
// fixture takes seconds (the directory store fsyncs each job's end).
//
// settle, if not nil, runs after the fixture is built: a backend's
// housekeeping that a store in service has had (PostgreSQL's autovacuum).
func Bench(b *testing.B, s jobstore.Backend, settle func() error) {
	ctx := context.Background()
	fx, err := fixture(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	if settle != nil {
		if err := settle(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.Get(ctx, fx.ids[i%len(fx.ids)]); err != nil {
				b.Fatal(err)
			}
			i += 7919 // a prime stride: not the same record each time
		}
	})
	for _, bc := range []struct {
		name string
		opts jobstore.ListOptions
	}{
		{"List/running/limit50", jobstore.ListOptions{States: []jobstore.State{jobstore.StateRunning}, Limit: 50}},
		{"List/kind/limit50", jobstore.ListOptions{Kind: "kind2", Limit: 50}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				jobs, total, err := s.List(ctx, &bc.opts)
				if err != nil || len(jobs) != 50 || total < 50 {
					b.Fatalf("List: %d jobs of %d: %v", len(jobs), total, err)
				}
			}
		})
	}
	b.Run("SetProgress", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := s.SetProgress(ctx, fx.running[i%len(fx.running)], float64(i), 1e9, "working"); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	for _, size := range []int{1 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("AppendLog/%dKiB", size>>10), func(b *testing.B) {
			id, err := s.CreateJob(ctx, "bench", "log")
			if err != nil {
				b.Fatal(err)
			}
			p := make([]byte, size)
			for i := range p {
				p[i] = 'a' + byte(i%26)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			// Close is timed: a writer that sends in the background is
			// done only when everything is in the store.
			w, err := s.LogWriter(ctx, id, jobstore.Stdout)
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				if _, err := w.Write(p); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run("ReadLog/64KiB", func(b *testing.B) {
		b.SetBytes(64 << 10)
		i := 0
		for b.Loop() {
			off := int64(i%(len(fx.log)/(64<<10))) * 64 << 10
			data, _, _, err := s.ReadLog(ctx, fx.logJob, jobstore.Stdout, off, 64<<10)
			if err != nil || len(data) != 64<<10 {
				b.Fatalf("ReadLog at %d: %d bytes: %v", off, len(data), err)
			}
			i++
		}
	})
}

type benchFixture struct {
	ids, running []string
	logJob       string
	log          []byte // what logJob's stdout holds: 16 MiB in 32 KiB writes
}

// fixture fills s, an empty store, with BenchJobs jobs and one 16 MiB log.
func fixture(ctx context.Context, s jobstore.Backend) (*benchFixture, error) {
	fx := &benchFixture{}
	result := []byte(`{"stdout":"hello world\n","stderr":"","exit_code":0,"elapsed_seconds":1.25}`)
	for i := range BenchJobs {
		id, err := s.CreateJob(ctx, fmt.Sprintf("kind%d", i%4), fmt.Sprintf("job %d", i))
		if err != nil {
			return nil, err
		}
		fx.ids = append(fx.ids, id)
		if err := s.SetRunning(ctx, id); err != nil {
			return nil, err
		}
		switch {
		case i%20 == 0:
			fx.running = append(fx.running, id)
			continue
		case i%20 < 4:
			err = s.FinishJob(ctx, id, jobstore.StateFailed, nil, "exit status 1")
		default:
			err = s.FinishJob(ctx, id, jobstore.StateCompleted, result, "")
		}
		if err != nil {
			return nil, err
		}
	}
	id, err := s.CreateJob(ctx, "bench", "a 16 MiB log")
	if err != nil {
		return nil, err
	}
	fx.logJob = id
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = 'a' + byte(i%26)
	}
	for range (16 << 20) / len(chunk) {
		if err := s.AppendLog(ctx, id, jobstore.Stdout, chunk); err != nil {
			return nil, err
		}
		fx.log = append(fx.log, chunk...)
	}
	return fx, nil
}
