package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pyexec-mcp/pyexec/session"
)

// sessionRows: a warm stateful round trip and a kernel start.
func (b *suite) sessionRows(ctx context.Context) error {
	m, err := session.NewManager(&session.Options{Python: b.python, UV: b.uv,
		WorkspaceDir: filepath.Join(b.tmp, "workspace"), DataDir: filepath.Join(b.tmp, "sessions")})
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Execute(ctx, "bench", "x = 41", 10*time.Second); err != nil {
		return err
	}
	var rt []time.Duration
	for range b.n * 10 {
		t0 := time.Now()
		res, err := m.Execute(ctx, "bench", "x + 1", 10*time.Second)
		if err != nil {
			return err
		}
		if res.Value != "42" {
			return fmt.Errorf("x + 1 gave %q", res.Value)
		}
		rt = append(rt, time.Since(t0))
	}
	b.rows = append(b.rows, row{name: "stateful round trip `x + 1` (session.Execute)", value: ms(median(rt)), baseline: "—", ratio: "—", goal: "≤ 2 ms"})

	var starts []time.Duration
	for i := range b.n {
		id := fmt.Sprintf("start-%d", i)
		t0 := time.Now()
		if _, err := m.Execute(ctx, id, "pass", 10*time.Second); err != nil {
			return err
		}
		starts = append(starts, time.Since(t0))
		if err := m.Remove(ctx, id); err != nil {
			return err
		}
	}
	base, _, err := b.pair(b.bare(b.python, "pass"), func() error { return nil })
	if err != nil {
		return err
	}
	b.addRatio("kernel start + first cell", median(starts), base, "python -c pass", "≤ 100 ms")
	return nil
}
