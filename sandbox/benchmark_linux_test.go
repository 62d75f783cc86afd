package sandbox

import (
	"context"
	"os/exec"
	"syscall"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// BenchmarkOverhead runs `python -c pass` through the same path (Prepare,
// start in a process group, wait, Close) with one switch at a time, and
// reports each as a ratio to the unrestricted run ("x-unrestricted"),
// which must run first:
//
//	go test -run '^$' -bench Overhead -benchtime 40x ./sandbox/
func BenchmarkOverhead(b *testing.B) {
	python := testenv.Python(b)
	var base float64 // ns per unrestricted run
	for _, bc := range []struct {
		name   string
		policy *Policy
	}{
		{"unrestricted", nil},
		{"env_allow_list", &Policy{EnvAllowList: DefaultEnvAllowList()}}, // the wrapper alone
		{"rlimits", &Policy{CPUSeconds: 60, MaxFileBytes: 1 << 30}},
		{"memory_bytes", &Policy{MemoryBytes: 256 << 20}},
		{"max_processes", &Policy{MaxProcesses: 64}},
		{"no_network", &Policy{NoNetwork: true}},
		{"read_only_fs", &Policy{ReadOnlyFS: true}},
		{"pid_namespace", &Policy{PIDNamespace: true}},
		{"all", &Policy{MemoryBytes: 256 << 20, CPUSeconds: 60, MaxProcesses: 64, MaxFileBytes: 1 << 30,
			NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true, EnvAllowList: DefaultEnvAllowList()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := Check(bc.policy); err != nil {
				b.Skip(err)
			}
			dir := b.TempDir()
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(python, "-c", "pass")
				cmd.Dir = dir
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				box, err := Prepare(context.Background(), cmd, bc.policy, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
				if err := box.Close(); err != nil {
					b.Fatal(err)
				}
			}
			perRun := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if bc.policy == nil {
				base = perRun
			} else if base > 0 {
				b.ReportMetric(perRun/base, "x-unrestricted")
			}
		})
	}
}
