package jobstore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

const benchJobs = 10_000

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
	fixtureIDs  []string
	fixtureRun  []string // ids of running jobs
)

// removeFixtures deletes the benchmark fixture; TestMain calls it.
func removeFixtures() {
	if fixtureDir != "" {
		_ = os.RemoveAll(fixtureDir)
	}
}

// benchStore opens a Store over a shared fixture of benchJobs records (built
// once per test binary): 5% running, 15% failed, 80% completed, four kinds.
// The records are written through writeRecord without fsync, to build the
// fixture in about a second; their format is exactly that of CreateJob.
func benchStore(b *testing.B) *Store {
	b.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "jobstore-bench-")
		if fixtureErr != nil {
			return
		}
		var s *Store
		s, fixtureErr = Open(context.Background(), &Options{Dir: fixtureDir, MaxJobs: -1})
		if fixtureErr != nil {
			return
		}
		defer s.Close()
		start := time.Now().Add(-benchJobs * time.Second).UTC()
		for i := range benchJobs {
			now := start.Add(time.Duration(i) * time.Second)
			j := &Job{ID: newID(now), Kind: fmt.Sprintf("kind%d", i%4), Label: fmt.Sprintf("job %d", i),
				State: StateCompleted, CreatedAt: now, StartedAt: now, CompletedAt: now.Add(time.Second),
				Progress: Progress{Current: 10, Total: 10, Message: "done"}, Owner: s.self,
				Result: []byte(`{"stdout":"hello world\n","stderr":"","exit_code":0,"elapsed_seconds":1.25}`)}
			switch {
			case i%20 == 0:
				j.State, j.CompletedAt, j.Result = StateRunning, time.Time{}, nil
				fixtureRun = append(fixtureRun, j.ID)
			case i%20 < 4:
				j.State, j.Result, j.Error = StateFailed, nil, "exit status 1"
			}
			if fixtureErr = s.writeRecord(j, false, true); fixtureErr != nil {
				return
			}
			fixtureIDs = append(fixtureIDs, j.ID)
		}
	})
	require.NoError(b, fixtureErr)
	s, err := Open(b.Context(), &Options{Dir: fixtureDir, MaxJobs: -1, MaxLogBytes: -1})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkOpen(b *testing.B) {
	benchStore(b)
	for b.Loop() {
		s, err := Open(b.Context(), &Options{Dir: fixtureDir, MaxJobs: -1})
		require.NoError(b, err)
		require.NoError(b, s.Close())
	}
}

func BenchmarkGet(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		_, err := s.Get(ctx, fixtureIDs[i%len(fixtureIDs)])
		require.NoError(b, err)
		i += 7919
	}
}

func BenchmarkList(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	for _, bc := range []struct {
		name string
		opts *ListOptions
	}{
		{"running/limit50", &ListOptions{States: []State{StateRunning}, Limit: 50}},
		{"completed+failed/limit50", &ListOptions{States: []State{StateCompleted, StateFailed}, Limit: 50}},
		{"kind+failed/limit50", &ListOptions{Kind: "kind2", States: []State{StateFailed}, Limit: 50}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				jobs, total, err := s.List(ctx, bc.opts)
				require.NoError(b, err)
				require.NotEmpty(b, jobs)
				require.Greater(b, total, 0)
			}
		})
	}
	// Each List follows one progress update made by another Store, as a
	// server does when another server's job is running; the update itself
	// is included in the time.
	b.Run("after-foreign-update/limit50", func(b *testing.B) {
		other, err := Open(ctx, &Options{Dir: fixtureDir, MaxJobs: -1})
		require.NoError(b, err)
		defer other.Close()
		id := fixtureRun[0]
		n := 0
		for b.Loop() {
			n++
			require.NoError(b, other.SetProgress(ctx, id, float64(n), 0, "working"))
			jobs, _, err := s.List(ctx, &ListOptions{States: []State{StateRunning}, Limit: 50})
			require.NoError(b, err)
			require.NotEmpty(b, jobs)
		}
	})
}

func BenchmarkSetProgress(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	id := fixtureRun[1]
	n := 0
	for b.Loop() {
		n++
		require.NoError(b, s.SetProgress(ctx, id, float64(n), 1e9, "working"))
	}
}

// BenchmarkCreateJob measures a durable create (two fsyncs), for reference.
func BenchmarkCreateJob(b *testing.B) {
	s, err := Open(b.Context(), &Options{Dir: b.TempDir(), MaxJobs: -1})
	require.NoError(b, err)
	defer s.Close()
	for b.Loop() {
		_, err := s.CreateJob(b.Context(), "bench", "")
		require.NoError(b, err)
	}
}

func BenchmarkAppendLog(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	for _, size := range []int{4 << 10, 32 << 10} {
		chunk := make([]byte, size)
		for i := range chunk {
			chunk[i] = byte('a' + i%26)
		}
		id := fixtureRun[2]
		path := s.logPath(id, Stdout)
		b.Cleanup(func() { _ = os.Remove(path) })
		// Truncate now and then, outside the timer, so the log stays small.
		reset := func(b *testing.B, written *int) {
			if *written >= 256<<20 {
				b.StopTimer()
				require.NoError(b, os.Truncate(path, 0))
				*written = 0
				b.StartTimer()
			}
		}
		b.Run(fmt.Sprintf("AppendLog/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			written := 0
			for b.Loop() {
				require.NoError(b, s.AppendLog(ctx, id, Stdout, chunk))
				written += size
				reset(b, &written)
			}
		})
		b.Run(fmt.Sprintf("LogWriter/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			w, err := s.LogWriter(ctx, id, Stdout)
			require.NoError(b, err)
			defer w.Close()
			written := 0
			for b.Loop() {
				_, err := w.Write(chunk)
				require.NoError(b, err)
				written += size
				reset(b, &written)
			}
		})
	}
}

// BenchmarkOwnerAlive is the liveness check Recover makes for each owner of
// a live job (and again under the job's lock): a foreign owner, this test
// binary's parent, so that the check reads /proc rather than matching this
// Store's own identity.
func BenchmarkOwnerAlive(b *testing.B) {
	s := openBench(b)
	st, err := procfs.ReadStat(os.Getppid())
	require.NoError(b, err)
	o := Owner{PID: os.Getppid(), StartTime: st.StartTime, BootID: s.bootID}
	for b.Loop() {
		if !s.host.OwnerAlive(o) {
			b.Fatalf("owner %d reported dead", o.PID)
		}
	}
}

// openBench opens an empty Store for a benchmark.
func openBench(b *testing.B) *Store {
	b.Helper()
	s, err := Open(b.Context(), &Options{Dir: b.TempDir()})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}
