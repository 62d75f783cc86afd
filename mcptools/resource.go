package mcptools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

const (
	jobStreamScheme   = "job-stream://"
	jobStreamTemplate = jobStreamScheme + "{job_id}"
	// streamStdoutHeader and streamStderrHeader frame a job-stream resource,
	// as the seed server did.
	streamStdoutHeader = "---STDOUT---\n"
	streamStderrHeader = "---STDERR---\n"
)

// JobStreamURI returns the job-stream resource URI of a job.
func JobStreamURI(jobID string) string { return jobStreamScheme + jobID }

func parseJobStreamURI(uri string) (string, bool) {
	id, ok := strings.CutPrefix(uri, jobStreamScheme)
	return id, ok && jobstore.ValidID(id)
}

// readJobStream serves job-stream://{job_id}: the tail of both logs, each at
// most half the output cap.
func (t *Toolset) readJobStream(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	id, ok := parseJobStreamURI(uri)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if _, err := t.store.Get(ctx, id); err != nil {
		if errors.Is(err, jobstore.ErrNotFound) || errors.Is(err, jobstore.ErrInvalidID) {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		return nil, err
	}
	var b strings.Builder
	for _, st := range []struct {
		header string
		stream jobstore.Stream
	}{{streamStdoutHeader, jobstore.Stdout}, {streamStderrHeader, jobstore.Stderr}} {
		text, err := t.logTail(ctx, id, st.stream, t.cfg.outputCap/2)
		if err != nil {
			return nil, err
		}
		b.WriteString(st.header)
		b.WriteString(text)
		if text != "" && !strings.HasSuffix(text, "\n") {
			b.WriteByte('\n')
		}
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: b.String()}}}, nil
}

// logTail returns the last max bytes of a job's log, starting at a line or
// rune boundary, after a marker with the count of omitted bytes.
func (t *Toolset) logTail(ctx context.Context, id string, st jobstore.Stream, max int) (string, error) {
	size, err := t.logSize(ctx, id, st)
	if err != nil {
		return "", err
	}
	off := max64(0, size-int64(max))
	data, _, _, err := t.store.ReadLog(ctx, id, st, off, max)
	if err != nil {
		return "", err
	}
	if off == 0 {
		return decodeText(data), nil
	}
	// Start at the first complete line when there is one nearby.
	if i := strings.IndexByte(string(data[:min(len(data), 4096)]), '\n'); i >= 0 {
		data = data[i+1:]
	}
	omitted := size - int64(len(data))
	return fmt.Sprintf("… %d earlier bytes omitted (get_job_output reads them) …\n", omitted) + decodeText(data), nil
}

// logSize is the size of a job's log.
func (t *Toolset) logSize(ctx context.Context, id string, st jobstore.Stream) (int64, error) {
	return t.store.LogSize(ctx, id, st)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// watcher sends notifications/resources/updated for subscribed job streams:
// when a job's output grows (at most once per interval) and when it ends.
// It polls the store, so jobs run by other server processes sharing the data
// directory are followed too.
type watcher struct {
	t     *Toolset
	every time.Duration
	wake  chan struct{} // buffer 1: a subscription was added

	mu   sync.Mutex
	jobs map[string]*watched
}

type watched struct {
	subs  int
	out   int64 // log sizes at the last notification
	err   int64
	ended bool
}

func newWatcher(t *Toolset) *watcher {
	return &watcher{t: t, every: t.cfg.progressEvery, wake: make(chan struct{}, 1), jobs: map[string]*watched{}}
}

func (w *watcher) subscribe(ctx context.Context, id string) error {
	j, err := w.t.store.Get(ctx, id)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if wj := w.jobs[id]; wj != nil {
		wj.subs++
		return nil
	}
	wj := &watched{subs: 1, ended: j.State.Final()}
	if !wj.ended {
		wj.out, _ = w.t.logSize(ctx, id, jobstore.Stdout)
		wj.err, _ = w.t.logSize(ctx, id, jobstore.Stderr)
		w.jobs[id] = wj
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (w *watcher) unsubscribe(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if wj := w.jobs[id]; wj != nil {
		if wj.subs--; wj.subs <= 0 {
			delete(w.jobs, id)
		}
	}
}

// run polls until ctx ends; it is owned by the Toolset.
func (w *watcher) run(ctx context.Context) {
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.wake:
		}
		w.poll(ctx)
	}
}

func (w *watcher) poll(ctx context.Context) {
	w.mu.Lock()
	ids := make([]string, 0, len(w.jobs))
	for id := range w.jobs {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	for _, id := range ids {
		changed, ended := w.check(ctx, id)
		if !changed {
			continue
		}
		for _, s := range w.t.serversSnapshot() {
			_ = s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: JobStreamURI(id)})
		}
		if ended {
			// A finished job changes no more: stop following it. The
			// client's subscription stays valid and harmless.
			w.mu.Lock()
			delete(w.jobs, id)
			w.mu.Unlock()
		}
	}
}

// check compares a job's logs and state with the last notification.
func (w *watcher) check(ctx context.Context, id string) (changed, ended bool) {
	j, err := w.t.store.Get(ctx, id)
	if err != nil {
		// Pruned or discarded: tell subscribers once, then forget it.
		return true, true
	}
	out, _ := w.t.logSize(ctx, id, jobstore.Stdout)
	errSize, _ := w.t.logSize(ctx, id, jobstore.Stderr)
	w.mu.Lock()
	defer w.mu.Unlock()
	wj := w.jobs[id]
	if wj == nil {
		return false, false
	}
	ended = j.State.Final()
	changed = out != wj.out || errSize != wj.err || ended
	wj.out, wj.err = out, errSize
	return changed, ended
}
