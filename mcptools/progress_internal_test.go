package mcptools

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallProgressNext: the values a CallProgress sends strictly increase
// per token (MCP, basic/utilities/progress), whatever the reports do; a
// report that does not raise the value still gets its message through, and
// a report with nothing new is not sent.
func TestCallProgressNext(t *testing.T) {
	t.Parallel()
	type report struct {
		cur, total float64
		msg        string
	}
	const bumped = -1 // want: just above the last value sent
	type want struct {
		sent     bool
		progress float64 // the value, or bumped
	}
	sent := func(v float64) want { return want{true, v} }
	skipped := want{}
	bump := want{true, bumped}
	for _, tc := range []struct {
		name    string
		reports []report
		want    []want
	}{
		{"5, 3, 3, 8 with messages",
			[]report{{5, 10, "five"}, {3, 10, "three"}, {3, 10, "three"}, {8, 10, "eight"}},
			[]want{sent(5), bump, skipped, sent(8)}},
		{"5, 3, 3, 8 with one message",
			[]report{{5, 10, "m"}, {3, 10, "m"}, {3, 10, "m"}, {8, 10, "m"}},
			[]want{sent(5), skipped, skipped, sent(8)}},
		{"message-only updates",
			[]report{{0, 0, "line 1"}, {0, 0, "line 2"}, {0, 0, "line 2"}, {0, 0, "line 3"}, {1, 0, "line 3"}},
			[]want{sent(0), bump, skipped, bump, sent(1)}},
		{"a line count, then the script's first report",
			[]report{{1, 0, "out"}, {1, 4, "step 1 of 4"}, {2, 4, "step 2 of 4"}},
			[]want{sent(1), bump, sent(2)}},
		{"a new total alone",
			[]report{{2, 4, "m"}, {2, 5, "m"}},
			[]want{sent(2), bump}},
		{"values going down repeatedly",
			[]report{{9, 0, "a"}, {7, 0, "b"}, {5, 0, "c"}, {3, 0, "d"}},
			[]want{sent(9), bump, bump, bump}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &CallProgress{token: "tok", sig: make(chan struct{}, 1)}
			last := math.Inf(-1)
			for i, r := range tc.reports {
				p.Report(r.cur, r.total, r.msg)
				p.mu.Lock()
				n := p.next()
				p.mu.Unlock()
				w := tc.want[i]
				if !w.sent {
					require.Nil(t, n, "report %d %+v", i, r)
					continue
				}
				require.NotNil(t, n, "report %d %+v", i, r)
				require.Greater(t, n.Progress, last, "report %d %+v: progress must increase", i, r)
				if w.progress == bumped {
					require.Equal(t, math.Nextafter(last, math.Inf(1)), n.Progress, "report %d %+v", i, r)
				} else {
					require.Equal(t, w.progress, n.Progress, "report %d %+v", i, r)
				}
				require.Equal(t, r.total, n.Total)
				require.Equal(t, r.msg, n.Message)
				require.Equal(t, "tok", n.ProgressToken)
				last = n.Progress
			}
		})
	}
}
