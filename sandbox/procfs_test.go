package sandbox

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mountinfoV1 is this project's CI machines' layout: v1 controllers, an
// empty cgroup2 beside them, the memory cgroup a child of /process_api.
const mountinfoV1 = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

const cgroupV1 = `9:name=systemd:/
8:pids:/
4:memory:/process_api/bf76
1:cpu:/
0::/
`

func TestCgroupDirs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		mountinfo string
		cgroup    string
		v1        map[string]string
		v2        string
	}{
		{"v1 beside an empty v2", mountinfoV1, cgroupV1,
			map[string]string{"name=systemd": "/sys/fs/cgroup/systemd", "pids": "/sys/fs/cgroup/pids", "memory": "/sys/fs/cgroup/memory/process_api/bf76", "cpu": "/sys/fs/cgroup/cpu"},
			"/sys/fs/cgroup/unified"},
		{"pure v2", "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n", "0::/user.slice/user-1000.slice/session-2.scope\n",
			map[string]string{}, "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope"},
		{"co-mounted v1 controllers", "40 31 0:37 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n", "3:cpu,cpuacct:/a\n",
			map[string]string{"cpu": "/sys/fs/cgroup/cpu,cpuacct/a", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/a"}, ""},
		{"mounted below the root (container view)", "50 1 0:40 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "5:memory:/docker/abc/run\n",
			map[string]string{"memory": "/sys/fs/cgroup/memory/run"}, ""},
		{"our cgroup outside the mounted root", "50 1 0:40 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "5:memory:/other\n",
			map[string]string{}, ""},
		{"escaped mount point", `50 1 0:40 / /mnt/my\040cgroups rw - cgroup2 cgroup2 rw` + "\n", "0::/x\n",
			map[string]string{}, "/mnt/my cgroups/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v1, v2 := cgroupDirs(parseMountInfo(tc.mountinfo), parseCgroupFile(tc.cgroup))
			require.Equal(t, tc.v1, v1)
			require.Equal(t, tc.v2, v2)
		})
	}
}

func TestKeyedValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		data, key string
		want      int64
		ok        bool
	}{
		{"oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", 3, true},
		{"low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n", "max", 12, true},
		{"max 7", "max", 7, true},
		{"oom_kill_disable 0\n", "oom_kill", 0, false},
		{"max x\n", "max", 0, false},
	} {
		got, ok := keyedValue(tc.data, tc.key)
		require.Equal(t, tc.want, got, tc.data)
		require.Equal(t, tc.ok, ok, tc.data)
	}
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add(mountinfoV1, cgroupV1)
	f.Add(`1 2 3 \134 /a\040b\011c - cgroup2 x rw`, "0::/\n1:a,b:/c:d\n")
	f.Add("- - - - - - -", ":::")
	f.Fuzz(func(t *testing.T, mountinfo, cgroup string) {
		mounts := parseMountInfo(mountinfo)
		lines := parseCgroupFile(cgroup)
		for _, l := range lines {
			require.True(t, strings.HasPrefix(l.Path, "/"))
			require.GreaterOrEqual(t, l.ID, 0)
		}
		v1, v2 := cgroupDirs(mounts, lines)
		for _, d := range v1 {
			require.NotEmpty(t, d)
		}
		_ = v2
		for _, m := range mounts {
			require.NotEmpty(t, m.FSType)
		}
	})
}

func FuzzUnescapeOctal(f *testing.F) {
	f.Add(`/a\040b`)
	f.Add(`\\`)
	f.Add(`\777\400\0`)
	f.Fuzz(func(t *testing.T, s string) {
		u := unescapeOctal(s)
		require.LessOrEqual(t, len(u), len(s))
		if !strings.Contains(s, `\`) {
			require.Equal(t, s, u)
		}
	})
}
