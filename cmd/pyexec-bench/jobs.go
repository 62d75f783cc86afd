package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// jobRows: job-store operations with many records.
func (b *suite) jobRows(ctx context.Context, records int) error {
	st, err := jobstore.Open(ctx, &jobstore.Options{Dir: filepath.Join(b.tmp, "jobs"), MaxJobs: -1, MaxLogBytes: -1})
	if err != nil {
		return err
	}
	defer st.Close()
	var ids []string
	for i := range records {
		id, err := st.CreateJob(ctx, "bench", fmt.Sprintf("job %d", i))
		if err != nil {
			return err
		}
		if i%3 == 0 {
			if err := st.SetRunning(ctx, id); err != nil {
				return err
			}
		}
		ids = append(ids, id)
	}
	target := ids[len(ids)/2]
	timeIt := func(name, goal string, f func(i int) error) error {
		var ds []time.Duration
		for i := range b.n * 10 {
			t0 := time.Now()
			if err := f(i); err != nil {
				return err
			}
			ds = append(ds, time.Since(t0))
		}
		b.rows = append(b.rows, row{name: name, value: fmt.Sprintf("%.3f ms", float64(median(ds).Nanoseconds())/1e6), baseline: "—", ratio: "—", goal: goal})
		return nil
	}
	label := fmt.Sprintf(" (%d records)", records)
	if err := timeIt("job status read"+label, "≤ 1 ms", func(int) error { _, err := st.Get(ctx, target); return err }); err != nil {
		return err
	}
	if err := timeIt("job list, running, limit 50"+label, "≤ 50 ms", func(int) error {
		_, _, err := st.List(ctx, &jobstore.ListOptions{States: []jobstore.State{jobstore.StateRunning}, Limit: 50})
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("job progress update"+label, "≤ 0.5 ms", func(i int) error {
		return st.SetProgress(ctx, ids[0], float64(i), 1e6, "step")
	}); err != nil {
		return err
	}
	chunk := make([]byte, 32<<10)
	const total = 256 << 20
	t0 := time.Now()
	for written := 0; written < total; written += len(chunk) {
		if err := st.AppendLog(ctx, ids[0], jobstore.Stdout, chunk); err != nil {
			return err
		}
	}
	b.rows = append(b.rows, row{name: "job output append (32 KiB writes)", value: fmt.Sprintf("%.0f MB/s", total/time.Since(t0).Seconds()/1e6),
		baseline: "—", ratio: "—", goal: "≥ 200 MB/s"})
	return nil
}
