package jobstore

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// TestTwoProcessesConcurrent: two processes create and update jobs, and
// increment one shared counter, at the same time as this process lists and
// reads every record file: nothing is lost and every file always parses.
func TestTwoProcessesConcurrent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, &Options{MaxJobs: -1})
	counter, err := s.CreateJob(ctx, "counter", "")
	require.NoError(t, err)
	const perProc = 40

	type result struct {
		ids []string
		err error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for p := range results {
		cmd := helperCmd(t, "churn", dir, helperArgEnv+"="+strconv.Itoa(perProc), "JOBSTORE_TEST_COUNTER="+counter)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				results[p].ids = append(results[p].ids, sc.Text())
			}
			results[p].err = cmd.Wait()
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// While they run: every record file parses, and List works.
	reads := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		entries, err := os.ReadDir(s.Dir())
		require.NoError(t, err)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := readFile(filepath.Join(s.Dir(), e.Name())) // as the store reads: sharing deletion on Windows
			if os.IsNotExist(err) {
				continue
			}
			require.NoError(t, err)
			var j Job
			require.NoError(t, json.Unmarshal(b, &j), "torn record %s: %q", e.Name(), b)
			reads++
		}
		_, _, err = s.List(ctx, &ListOptions{States: []State{StateRunning}, Limit: 10})
		require.NoError(t, err)
	}
	for p, r := range results {
		require.NoError(t, r.err, "helper %d", p)
		require.Len(t, r.ids, perProc, "helper %d", p)
	}

	jobs, total, err := s.List(ctx, &ListOptions{Kind: "churn"})
	require.NoError(t, err)
	require.Equal(t, 2*perProc, total)
	byID := map[string]*Job{}
	for _, j := range jobs {
		byID[j.ID] = j
	}
	for p, r := range results {
		for i, id := range r.ids {
			j := byID[id]
			require.NotNil(t, j, "job %s of helper %d", id, p)
			require.Equal(t, StateCompleted, j.State)
			require.Equal(t, float64(churnSteps), j.Progress.Current)
			var res struct{ PID, I int }
			require.NoError(t, json.Unmarshal(j.Result, &res))
			require.Equal(t, i, res.I)
			fresh, err := s.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, j, fresh, "the index matches the file")
		}
	}
	c, err := s.Get(ctx, counter)
	require.NoError(t, err)
	require.Equal(t, float64(2*perProc*churnSteps), c.Progress.Current, "no lost update")
	t.Logf("parsed %d record files while the helpers ran", reads)
}
