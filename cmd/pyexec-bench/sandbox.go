package main

import (
	"context"
	"fmt"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// sandboxRows: each isolation switch against an unrestricted run of the
// same script through the same executor.
func (b *suite) sandboxRows(ctx context.Context) error {
	e, err := b.executor("sandbox", nil)
	if err != nil {
		return err
	}
	switches := []struct {
		name string
		p    sandbox.Policy
	}{
		{"env_allow_list", sandbox.Policy{EnvAllowList: sandbox.DefaultEnvAllowList()}},
		{"cpu_seconds + max_file_bytes (rlimits)", sandbox.Policy{CPUSeconds: 60, MaxFileBytes: 1 << 30}},
		{"memory_bytes (cgroup)", sandbox.Policy{MemoryBytes: 512 << 20}},
		{"max_processes (cgroup)", sandbox.Policy{MaxProcesses: 64}},
		{"no_network", sandbox.Policy{NoNetwork: true}},
		{"read_only_fs", sandbox.Policy{ReadOnlyFS: true}},
		{"pid_namespace", sandbox.Policy{PIDNamespace: true}},
		{"all switches", sandbox.Policy{EnvAllowList: sandbox.DefaultEnvAllowList(), CPUSeconds: 60, MaxFileBytes: 1 << 30,
			MemoryBytes: 512 << 20, MaxProcesses: 64, NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true}},
	}
	plain := &executor.Request{Code: "pass", UseUV: true}
	if err := runOK(ctx, e, plain, ""); err != nil {
		return err
	}
	for _, sw := range switches {
		if err := sandbox.Check(&sw.p); err != nil {
			b.rows = append(b.rows, row{name: "sandbox: " + sw.name, value: "unavailable here", baseline: "—", ratio: "—", goal: fmt.Sprint(err)})
			continue
		}
		p := sw.p
		req := &executor.Request{Code: "pass", UseUV: true, Sandbox: &p}
		base, cand, err := b.pair(func() error { return runOK(ctx, e, plain, "") }, func() error { return runOK(ctx, e, req, "") })
		if err != nil {
			return fmt.Errorf("%s: %w", sw.name, err)
		}
		b.addRatio("sandbox: "+sw.name, cand, base, "unrestricted executor.Run", "—")
	}
	return nil
}
