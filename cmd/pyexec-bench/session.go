package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pyexec-mcp/pyexec/sandbox"
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
	return b.confinedSessionRows(ctx, m)
}

// confinedSessionRows: the same two figures for a session confined with
// every sandbox switch, each interleaved with the unconfined one.
func (b *suite) confinedSessionRows(ctx context.Context, plain *session.Manager) error {
	p := &sandbox.Policy{EnvAllowList: sandbox.DefaultEnvAllowList(), CPUSeconds: 600, MaxFileBytes: 1 << 30,
		MemoryBytes: 512 << 20, MaxProcesses: 128, NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true}
	if err := sandbox.Check(p); err != nil {
		b.rows = append(b.rows, row{name: "stateful round trip `x + 1`, confined (all switches)", value: "unavailable here", baseline: "—", ratio: "—", goal: fmt.Sprint(err)})
		return nil
	}
	m, err := session.NewManager(&session.Options{Python: b.python, UV: b.uv, Sandbox: p,
		WorkspaceDir: filepath.Join(b.tmp, "workspace-confined"), DataDir: filepath.Join(b.tmp, "sessions-confined")})
	if err != nil {
		return err
	}
	defer m.Close()
	roundTrip := func(m *session.Manager) func() error {
		return func() error {
			res, err := m.Execute(ctx, "bench", "x + 1", 10*time.Second)
			if err == nil && res.Value != "42" {
				err = fmt.Errorf("x + 1 gave %q", res.Value)
			}
			return err
		}
	}
	if _, err := m.Execute(ctx, "bench", "x = 41", 10*time.Second); err != nil {
		return err
	}
	n := b.n
	b.n *= 10 // as the unconfined row: round trips are short
	base, cand, err := b.pair(roundTrip(plain), roundTrip(m))
	b.n = n
	if err != nil {
		return err
	}
	b.addRatio("stateful round trip `x + 1`, confined (all switches)", cand, base, "unconfined", "—")

	// Alternating starts, each session removed after its start (untimed).
	var ps, cs []time.Duration
	for i := range b.n {
		for _, c := range []struct {
			m  *session.Manager
			ds *[]time.Duration
		}{{plain, &ps}, {m, &cs}} {
			id := fmt.Sprintf("start-confined-%d", i)
			t0 := time.Now()
			if _, err := c.m.Execute(ctx, id, "pass", 10*time.Second); err != nil {
				return err
			}
			*c.ds = append(*c.ds, time.Since(t0))
			if err := c.m.Remove(ctx, id); err != nil {
				return err
			}
		}
	}
	b.addRatio("kernel start + first cell, confined (all switches)", median(cs), median(ps), "unconfined", "—")
	return nil
}
