package procfs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    string
		want  Stat
		isErr bool
	}{
		{"plain", "1234 (python3) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 2 0 0 20 0 1 0 987654 1000\n",
			Stat{PID: 1234, State: 'S', PPID: 1, PGID: 1234, StartTime: 987654}, false},
		{"parens and spaces in comm", "77 (a) b) c) Z 1 70 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0",
			Stat{PID: 77, State: 'Z', PPID: 1, PGID: 70, StartTime: 42}, false},
		{"comm that looks like fields", "9 () R 1 2 3 (x) S 5 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0",
			Stat{PID: 9, State: 'S', PPID: 5, PGID: 9, StartTime: 7}, false},
		{"empty comm", "3 () I 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1",
			Stat{PID: 3, State: 'I', PPID: 2, PGID: 0, StartTime: 1}, false},
		{"truncated", "5 (x) S 1 2 3", Stat{}, true},
		{"no comm", "garbage", Stat{}, true},
		{"no pid", "(x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", Stat{}, true},
		{"close before open", "1 )x( S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", Stat{}, true},
		{"state not a letter", "1 (x) 0 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", Stat{}, true},
		{"long state", "1 (x) SS 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", Stat{}, true},
		{"bad pgid", "1 (x) S 1 x 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", Stat{}, true},
		{"bad start", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0", Stat{}, true},
		{"empty", "", Stat{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStat([]byte(tc.in))
			if tc.isErr {
				require.ErrorIs(t, err, errMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want Status
	}{
		{"both", "Name:\tpython3\nVmPeak:\t  999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t1\n",
			Status{VmRSS: 1024 * 1024, VmHWM: 2048 * 1024, HasMemory: true}},
		{"rss only", "VmRSS:\t 10 kB", Status{VmRSS: 10 * 1024, HasMemory: true}},
		{"zombie", "Name:\tx\nState:\tZ (zombie)\n", Status{}},
		{"bad unit", "VmRSS:\t 10 MB\n", Status{}},
		{"trailing field", "VmRSS:\t 10 kB x\n", Status{}},
		{"bad number", "VmRSS:\t x kB\n", Status{}},
		{"negative", "VmRSS:\t -1 kB\n", Status{}},
		{"too large", fmt.Sprintf("VmRSS:\t %d kB\n", int64(maxKB)+1), Status{}},
		{"empty", "", Status{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, parseStatus([]byte(tc.in)))
		})
	}
}

// FuzzParseStat builds stat lines around arbitrary command names — spaces,
// ')', '(', newlines, things that look like fields — and checks that every
// field comes back as written: only the last ')' ends the name.
func FuzzParseStat(f *testing.F) {
	f.Add("python3", byte('S'), 1, 1234, uint64(987654))
	f.Add("a) b) c", byte('Z'), 1, 70, uint64(42))
	f.Add(") R 1 2 3 (", byte('S'), 5, 9, uint64(7))
	f.Add("x)\n) Z 0 0", byte('R'), 0, 0, uint64(0))
	f.Add("", byte('I'), 2, 0, uint64(1))
	f.Fuzz(func(t *testing.T, comm string, state byte, ppid, pgid int, start uint64) {
		if strings.IndexByte(comm, 0) >= 0 {
			t.Skip("the kernel's names hold no NUL")
		}
		if !isLetter(state) {
			state = 'S' // the state is one letter
		}
		ppid, pgid = max(ppid, 0), max(pgid, 0)
		line := fmt.Sprintf("4242 (%s) %c %d %d %d 0 -1 4194560 100 0 0 0 5 2 0 0 20 0 1 0 %d 1000 10 18446744073709551615\n",
			comm, state, ppid, pgid, pgid, start)
		got, err := parseStat([]byte(line))
		require.NoError(t, err, "%q", line)
		require.Equal(t, Stat{PID: 4242, State: state, PPID: ppid, PGID: pgid, StartTime: start}, got, "%q", line)
	})
}

// FuzzParseStatBytes feeds arbitrary bytes: parseStat never panics, and
// whatever it accepts has a one-letter state.
func FuzzParseStatBytes(f *testing.F) {
	f.Add([]byte("1234 (python3) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615\n"))
	f.Add([]byte("77 (a) b) c) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0"))
	f.Add([]byte("5 ((sd-pam)) S"))
	f.Add([]byte("1 ()) ) ) S 1 2"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStat(b)
		if err != nil {
			require.ErrorIs(t, err, errMalformed)
			return
		}
		require.True(t, isLetter(st.State), "state %q", st.State)
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("VmHWM:\t 2048 kB\nVmRSS:\t 1024 kB\n"))
	f.Add([]byte("Name:\tx\nState:\tZ (zombie)\n"))
	f.Add([]byte("VmRSS:\t 1125899906842624 kB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := parseStatus(data)
		require.GreaterOrEqual(t, st.VmRSS, int64(0))
		require.GreaterOrEqual(t, st.VmHWM, int64(0))
		if !st.HasMemory {
			require.Zero(t, st)
		}
	})
}
