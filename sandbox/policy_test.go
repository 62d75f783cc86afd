package sandbox

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy Policy
		want   string // "" for valid
	}{
		{"zero", Policy{}, ""},
		{"everything", Policy{MemoryBytes: 64 << 20, CPUSeconds: 1, MaxProcesses: 1, MaxFileBytes: 1, NoNetwork: true,
			ReadOnlyFS: true, WritableDirs: []string{"/x"}, PIDNamespace: true, EnvAllowList: []string{"PATH", "LC_*"}}, ""},
		{"negative memory", Policy{MemoryBytes: -1}, "memory_bytes is -1; use a positive size, or 0 for no limit"},
		{"tiny memory", Policy{MemoryBytes: 1 << 20}, "memory_bytes is 1048576; the interpreter alone needs more, use at least 16777216 (16 MiB)"},
		{"negative cpu", Policy{CPUSeconds: -2}, "cpu_seconds is -2"},
		{"negative processes", Policy{MaxProcesses: -1}, "max_processes is -1"},
		{"negative file size", Policy{MaxFileBytes: -1}, "max_file_bytes is -1"},
		{"writable dirs without read-only", Policy{WritableDirs: []string{"/x"}}, "writable_dirs is set but read_only_fs is not"},
		{"bad allow entry", Policy{EnvAllowList: []string{"A=B"}}, `env_allow_list entry "A=B" is not a variable name`},
		{"inner star", Policy{EnvAllowList: []string{"A*B"}}, `env_allow_list entry "A*B"`},
		{"empty entry", Policy{EnvAllowList: []string{""}}, `env_allow_list entry ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.policy.validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidPolicy)
			require.Contains(t, err.Error(), tc.want)
			require.ErrorIs(t, Check(&tc.policy), ErrInvalidPolicy, "Check validates first, on any system")
		})
	}
}

func TestPolicySwitchesAndJSON(t *testing.T) {
	t.Parallel()
	var nilPolicy *Policy
	require.False(t, nilPolicy.Enabled())
	require.Nil(t, nilPolicy.Switches())
	require.False(t, (&Policy{}).Enabled())
	require.True(t, (&Policy{EnvAllowList: []string{}}).Enabled(), "an empty allow-list filters everything")

	var p Policy
	require.NoError(t, json.Unmarshal([]byte(`{"memory_bytes": 67108864, "no_network": true, "pid_namespace": true, "env_allow_list": ["PATH"]}`), &p))
	require.Equal(t, []string{"memory_bytes", "no_network", "pid_namespace", "env_allow_list"}, p.Switches())
	b, err := json.Marshal(Policy{CPUSeconds: 2})
	require.NoError(t, err)
	require.JSONEq(t, `{"cpu_seconds": 2}`, string(b))
}

func TestFilterEnv(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=/bin", "HOME=/root", "OPENAI_API_KEY=sk-1", "LC_ALL=C", "LCX=1", "NOEQUALS", "MINE=1"}
	for _, tc := range []struct {
		name     string
		allow    []string
		explicit []string
		want     []string
	}{
		{"nil allow-list: unchanged", nil, nil, env},
		{"empty allow-list: only explicit", []string{}, []string{"MINE"}, []string{"MINE=1"}},
		{"names and prefixes", []string{"PATH", "LC_*"}, nil, []string{"PATH=/bin", "LC_ALL=C"}},
		{"default list", DefaultEnvAllowList(), []string{"MINE"}, []string{"PATH=/bin", "HOME=/root", "LC_ALL=C", "MINE=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, FilterEnv(env, tc.allow, tc.explicit))
		})
	}
}

func TestOutcomeString(t *testing.T) {
	t.Parallel()
	limits := Policy{MemoryBytes: 256 << 20, CPUSeconds: 2, MaxProcesses: 20, MaxFileBytes: 1536 << 20}
	for _, tc := range []struct {
		name string
		o    Outcome
		want string
	}{
		{"nothing", Outcome{limits: limits}, ""},
		{"memory", Outcome{MemoryExceeded: true, OOMKills: 1, limits: limits},
			"memory limit (256 MiB) exceeded: the kernel's OOM killer ended 1 process of the run"},
		{"cpu", Outcome{CPUExceeded: true, limits: limits}, "CPU time limit (2 s) exceeded: the process was killed by SIGXCPU"},
		{"file size", Outcome{FileSizeExceeded: true, limits: limits}, "file size limit (1536 MiB) exceeded: the process was killed by SIGXFSZ"},
		{"processes and memory", Outcome{ProcessLimitHit: true, RefusedForks: 37, MemoryExceeded: true, OOMKills: 2, limits: limits},
			"memory limit (256 MiB) exceeded: the kernel's OOM killer ended 2 processes of the run\nprocess limit (20) reached: the kernel refused 37 attempts to create a process or thread"},
		{"setup", Outcome{Setup: &SetupError{Switch: "no_network", Message: "bring loopback up: Operation not permitted"}},
			"sandbox: set-up failed (no_network): bring loopback up: Operation not permitted; the payload did not run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.o.String())
			require.Equal(t, tc.want != "", tc.o.Hit())
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ue := &UnavailableError{Switch: "no_network", Needs: "Linux", Err: ErrUnsupported}
	require.ErrorIs(t, ue, ErrUnavailable)
	require.ErrorIs(t, ue, ErrUnsupported)
	require.Equal(t, "sandbox: no_network needs Linux: sandbox: not supported on this system", ue.Error())
	require.ErrorIs(t, errors.Join(ue), ErrUnavailable)
	require.Equal(t, "sandbox: memory_bytes needs x", (&UnavailableError{Switch: "memory_bytes", Needs: "x"}).Error())
	require.ErrorIs(t, &SetupError{}, ErrSetup)
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 bytes", 1000: "1000 bytes", 1024: "1 KiB", 1536: "1536 bytes", 64 << 20: "64 MiB", 3 << 30: "3 GiB", 1536 << 20: "1536 MiB",
	} {
		require.Equal(t, want, formatBytes(n), n)
	}
}
