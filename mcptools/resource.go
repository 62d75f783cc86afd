package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
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

// isJobStreamURI reports whether uri has the job-stream scheme, whatever
// follows it: the scheme is the Toolset's, so a bad job id in it is the
// Toolset's to report, not an embedder's subscribe handler's.
func isJobStreamURI(uri string) bool { return strings.HasPrefix(uri, jobStreamScheme) }

// notSubscribableError answers resources/subscribe and resources/unsubscribe
// for a URI that is not a job stream. It is a *jsonrpc.Error because the SDK
// puts code 0 on the wire for any other error.
func notSubscribableError(uri string) error {
	return &jsonrpc.Error{
		Code: jsonrpc.CodeInvalidParams,
		Message: fmt.Sprintf("mcptools: %q is not subscribable: only %s resources are; "+
			"use the job_id an *_async tool or py_list_jobs returns", uri, jobStreamTemplate),
	}
}

// jobNotFoundError answers resources/subscribe for a job-stream URI whose
// job does not exist. It keeps the code and data of the SDK's
// mcp.ResourceNotFoundError, so that subscribe and resources/read agree on
// the same URI: -32602 with data {"uri": …} since SEP-2164 (the pre-1.7 SDK
// code -32002 under MCPGODEBUG=customresnotfounderrcode=1), and replaces
// its message with one that names the job and how to find jobs.
func jobNotFoundError(uri, id string) error {
	msg := fmt.Sprintf("mcptools: cannot subscribe to %q: job %q not found; py_list_jobs lists the jobs and their ids", uri, id)
	if !jobstore.ValidID(id) {
		msg = fmt.Sprintf("mcptools: cannot subscribe to %q: %q is not a job id (ids are the job_id an *_async tool returns); "+
			"py_list_jobs lists the jobs and their ids", uri, id)
	}
	var nf *jsonrpc.Error
	if !errors.As(mcp.ResourceNotFoundError(uri), &nf) {
		data, _ := json.Marshal(map[string]string{"uri": uri})
		nf = &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Data: data}
	}
	return &jsonrpc.Error{Code: nf.Code, Message: msg, Data: nf.Data}
}

// subscribeJobStream serves resources/subscribe for a job-stream URI.
func (t *Toolset) subscribeJobStream(ctx context.Context, uri string) error {
	id, ok := parseJobStreamURI(uri)
	if !ok {
		return jobNotFoundError(uri, strings.TrimPrefix(uri, jobStreamScheme))
	}
	err := t.watch.subscribe(ctx, id)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jobstore.ErrNotFound) || errors.Is(err, jobstore.ErrInvalidID):
		return jobNotFoundError(uri, id)
	default:
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
			Message: fmt.Sprintf("mcptools: cannot subscribe to %q: %v; check the server's data directory and retry", uri, err)}
	}
}

// unsubscribeJobStream serves resources/unsubscribe for a job-stream URI.
// Unsubscribing from a job that no longer exists is no error: a pruned
// job's subscription must still be removable.
func (t *Toolset) unsubscribeJobStream(uri string) {
	if id, ok := parseJobStreamURI(uri); ok {
		t.watch.unsubscribe(id)
	}
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
		text, err := t.logTail(ctx, id, st.stream, t.defaultShow()/2)
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
// It polls the store (jobPoller), so jobs run by other server processes
// sharing the data directory are followed too.
type watcher struct {
	*jobPoller[*watched]
	t *Toolset
}

// watched is a followed job stream.
type watched struct {
	subs int
	out  int64 // log sizes at the last notification
	err  int64
}

func newWatcher(t *Toolset) *watcher {
	w := &watcher{t: t}
	w.jobPoller = newJobPoller[*watched](t.cfg.progressEvery, w.poll)
	return w
}

func (w *watcher) subscribe(ctx context.Context, id string) error {
	j, err := w.t.store.Get(ctx, id)
	if err != nil {
		return err
	}
	ended := j.State.Final()
	var out, errSize int64
	if !ended {
		out, _ = w.t.logSize(ctx, id, jobstore.Stdout)
		errSize, _ = w.t.logSize(ctx, id, jobstore.Stderr)
	}
	added := false
	w.with(func(jobs map[string]*watched) {
		if wj := jobs[id]; wj != nil {
			wj.subs++
		} else if !ended { // an ended job changes no more: nothing to follow
			jobs[id], added = &watched{subs: 1, out: out, err: errSize}, true
		}
	})
	if added {
		w.wakeUp()
	}
	return nil
}

func (w *watcher) unsubscribe(id string) {
	w.with(func(jobs map[string]*watched) {
		if wj := jobs[id]; wj != nil {
			if wj.subs--; wj.subs <= 0 {
				delete(jobs, id)
			}
		}
	})
}

// poll notifies the subscribers of every followed job that changed.
func (w *watcher) poll(ctx context.Context, ids []string) {
	for _, id := range ids {
		changed, ended := w.changed(ctx, id)
		if !changed {
			continue
		}
		for _, s := range w.t.serversSnapshot() {
			_ = s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: JobStreamURI(id)})
		}
		if ended {
			// A finished job changes no more: stop following it. The
			// client's subscription stays valid and harmless.
			w.with(func(jobs map[string]*watched) { delete(jobs, id) })
		}
	}
}

// changed compares a job's logs and state with the last notification.
func (w *watcher) changed(ctx context.Context, id string) (changed, ended bool) {
	j, err := w.t.store.Get(ctx, id)
	if err != nil {
		// Pruned or discarded: tell subscribers once, then forget it.
		return true, true
	}
	out, _ := w.t.logSize(ctx, id, jobstore.Stdout)
	errSize, _ := w.t.logSize(ctx, id, jobstore.Stderr)
	w.with(func(jobs map[string]*watched) {
		wj := jobs[id]
		if wj == nil {
			return
		}
		ended = j.State.Final()
		changed = out != wj.out || errSize != wj.err || ended
		wj.out, wj.err = out, errSize
	})
	return changed, ended
}
