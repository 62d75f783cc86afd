package mcptools

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/semaphore"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// Toolset is the set of pyexec tools and the job-stream resource, ready to be
// registered onto any number of *mcp.Server. It owns the background jobs (a
// smartasync.Runner over the job store), the execution slots and the
// subscription watcher. Create it with New; it is safe for concurrent use;
// the caller must Close it — before closing the servers' sessions, so that
// running work is cancelled (and its process trees killed) first.
type Toolset struct {
	cfg      config
	exec     *executor.Executor
	store    jobstore.Backend
	ownStore bool
	runner   *smartasync.Runner
	kinds    sync.Map // job kind → *smartasync.SmartAsync[runCall, *scriptRun], made once (runs)
	log      *slog.Logger
	slots    *semaphore.Weighted // Options.MaxConcurrent; nil: no limit
	owned    *owned
	scripts  *scripts
	watch    *watcher
	// stopNotify ends the store's change notifications (jobstore.Notifier),
	// which wake watch and owned; nil for a store that sends none.
	stopNotify func()
	extra      extraGroups
	// renderers rebuilds a completed job's tool result for tasks/get, by
	// tool name (taskRenderer); tasked holds the servers with the tasks
	// layer installed.
	renderers sync.Map
	tasked    sync.Map
	// polls is where each job's last incremental py_job_status ended.
	polls pollCursors

	ctx    context.Context // lifetime: cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	servers []*mcp.Server
	closed  bool
}

// New returns a Toolset configured by opts; nil means defaults. It opens the
// job store (running its recovery of jobs left by dead servers) unless
// opts.Store is given, and removes the sandbox cgroups that dead servers
// left, killing what still runs in them (sandbox.SweepCgroups).
func New(ctx context.Context, opts *Options) (*Toolset, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &Options{}
	}
	t := &Toolset{cfg: cfg, log: cfg.log, exec: opts.Executor, store: opts.Store}
	if t.exec == nil {
		if t.exec, err = executor.New(&executor.Options{DataDir: cfg.dataDir}); err != nil {
			return nil, fmt.Errorf("mcptools: %w", err)
		}
	}
	if t.store == nil {
		t.store, err = jobstore.Open(ctx, &jobstore.Options{Dir: cfg.dataDir, Logger: cfg.log})
		if err != nil {
			return nil, fmt.Errorf("mcptools: open the job store in %s: %w", cfg.dataDir, err)
		}
		t.ownStore = true
	}
	// The store's recovery killed the jobs of dead servers through their
	// records; this also catches the run cgroups no record names (a
	// server killed between creating a run's cgroup and recording it).
	if n, err := sandbox.SweepCgroups(); err != nil {
		t.log.Warn("mcptools: sweeping cgroups left by dead servers", "removed", n, "err", err)
	} else if n > 0 {
		t.log.Info("mcptools: removed cgroups left by dead servers", "removed", n)
	}
	t.runner, err = smartasync.NewRunner(&smartasync.Options{
		Store:            t.store,
		Budget:           cfg.budget,
		ProgressInterval: cfg.progressEvery,
		Logger:           cfg.log,
	})
	if err != nil {
		_ = t.closeStore()
		return nil, fmt.Errorf("mcptools: %w", err)
	}
	if t.scripts, err = newScripts(&cfg); err != nil {
		_ = t.runner.Close()
		_ = t.closeStore()
		return nil, fmt.Errorf("mcptools: %w", err)
	}
	if cfg.maxConcurrent > 0 {
		t.slots = semaphore.NewWeighted(int64(cfg.maxConcurrent))
	}
	t.extra = opts.extraGroups()
	t.setRunRenderers()
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.watch = newWatcher(t)
	t.owned = newOwned(t.store)
	if n, ok := t.store.(jobstore.Notifier); ok {
		t.stopNotify = n.OnChange(func(c jobstore.Change) {
			if c.Final {
				t.owned.notify(c.ID) // it waits for ends only
			}
			t.watch.notify(c.ID)
		})
	}
	t.wg.Add(2)
	go func() {
		defer t.wg.Done()
		t.watch.run(t.ctx)
	}()
	go func() {
		defer t.wg.Done()
		t.owned.run(t.ctx)
	}()
	return t, nil
}

// Runner returns the smartasync.Runner of the Toolset's job system, so that
// an embedding server's own SmartAsync tools share it: their jobs appear in
// py_list_jobs and py_job_status and are cancelled by py_cancel_job.
func (t *Toolset) Runner() *smartasync.Runner { return t.runner }

// Store returns the job store.
func (t *Toolset) Store() jobstore.Backend { return t.store }

// Close cancels every running job of this process (killing its process tree;
// the job is recorded as cancelled, "server shutting down"), stops the
// subscription watcher, and closes the job store if the Toolset opened it.
// Call it before closing the servers' sessions. Close is idempotent.
func (t *Toolset) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	t.log.Info("mcptools: shutting down; cancelling running jobs")
	err := t.runner.Close()
	if t.stopNotify != nil {
		t.stopNotify()
	}
	t.cancel()
	t.wg.Wait()
	return errors.Join(err, t.closeStore())
}

func (t *Toolset) closeStore() error {
	if t.ownStore {
		return t.store.Close()
	}
	return nil
}

// Names returns the names of the tools Register adds, in registration order.
func (t *Toolset) Names() []string {
	var out []string
	for _, d := range t.defs() {
		out = append(out, d.name)
	}
	return out
}

// Register adds the selected tools, the job-stream://{job_id} resource
// template (group jobs) and a recovery middleware (a panicking handler
// becomes an error result; the server keeps serving) onto s.
//
// It panics if this Toolset is already registered on s or if a tool name is
// already claimed on s by another Toolset or by AddTool: the SDK itself would
// silently replace the earlier tool.
//
// Resource subscriptions need the server's options: create s with
// mcp.NewServer(impl, t.ServerOptions(base)).
func (t *Toolset) Register(s *mcp.Server) {
	if s == nil {
		panic("mcptools: Register called with a nil *mcp.Server")
	}
	defs := t.defs()
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.name
	}
	claimNames(s, t, names...)
	t.installTasks(s)
	installRecovery(s, t.log)
	for _, d := range defs {
		d.add(s, d.patch)
	}
	if t.cfg.has(GroupJobs) {
		s.AddResourceTemplate(&mcp.ResourceTemplate{
			Name:        "job-stream",
			Title:       "Output of a background job",
			URITemplate: jobStreamTemplate,
			Description: "The stdout and stderr of a job as \"---STDOUT---\\n…\\n---STDERR---\\n…\" (the tail of each if it is long). Subscribe to be notified when output grows and when the job ends.",
			MIMEType:    "text/plain",
		}, t.readJobStream)
	}
	if t.cfg.has(GroupWorkspace) {
		s.AddResourceTemplate(&mcp.ResourceTemplate{
			Name:        "workspace-file",
			Title:       "A workspace file",
			URITemplate: workspaceTemplate,
			Description: "A file of the workspace by its relative path; a cell's result links the files it wrote.",
		}, t.extra.readWorkspaceResource)
	}
	t.mu.Lock()
	t.servers = append(t.servers, s)
	t.mu.Unlock()
}

// ServerOptions returns a copy of base (nil: empty options) whose
// instructions, if base has none, are the Toolset's (Instructions), whose
// subscribe and unsubscribe handlers serve job-stream:// subscriptions and
// delegate every other URI to base's handlers (without them, such a URI is
// an invalid-params error), whose capabilities announce the Tasks extension
// (TasksExtension), and whose caching hints (unless base sets
// SetCacheable) let clients of 2026-07-28 cache the lists for five minutes
// and never a job stream. Pass it to mcp.NewServer: the SDK takes these
// only at construction.
func (t *Toolset) ServerOptions(base *mcp.ServerOptions) *mcp.ServerOptions {
	var o mcp.ServerOptions
	if base != nil {
		o = *base
	}
	// Announce the Tasks extension (TasksExtension).
	if o.Capabilities == nil {
		// The SDK's default when none are given, which setting any drops.
		o.Capabilities = &mcp.ServerCapabilities{Logging: &mcp.LoggingCapabilities{}}
	} else {
		c := *o.Capabilities
		c.Extensions = maps.Clone(c.Extensions)
		o.Capabilities = &c
	}
	o.Capabilities.AddExtension(TasksExtension, map[string]any{})
	if o.Instructions == "" {
		o.Instructions = t.Instructions()
	}
	if o.SetCacheable == nil {
		o.SetCacheable = cacheHints
	}
	nextSub, nextUnsub := o.SubscribeHandler, o.UnsubscribeHandler
	o.SubscribeHandler = func(ctx context.Context, req *mcp.SubscribeRequest) error {
		if isJobStreamURI(req.Params.URI) {
			return t.subscribeJobStream(ctx, req.Params.URI)
		}
		if nextSub != nil {
			return nextSub(ctx, req)
		}
		return notSubscribableError(req.Params.URI)
	}
	o.UnsubscribeHandler = func(ctx context.Context, req *mcp.UnsubscribeRequest) error {
		if isJobStreamURI(req.Params.URI) {
			t.unsubscribeJobStream(req.Params.URI)
			return nil
		}
		if nextUnsub != nil {
			return nextUnsub(ctx, req)
		}
		return notSubscribableError(req.Params.URI)
	}
	return &o
}

// serversSnapshot returns the servers the Toolset is registered on.
func (t *Toolset) serversSnapshot() []*mcp.Server {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*mcp.Server(nil), t.servers...)
}

// toolDef is one tool of the Toolset: its name, group and how to add it.
type toolDef struct {
	name  string
	group Group
	// patch is merged into properties of the input schema: what depends
	// on the Toolset's configuration (a default, a description).
	patch map[string]map[string]any
	add   func(s *mcp.Server, patch map[string]map[string]any)
}

// with returns d whose input schema property prop has the given keywords
// (such as "default" or "description") instead of its type's.
func (d toolDef) with(prop string, keywords map[string]any) toolDef {
	p := maps.Clone(d.patch)
	if p == nil {
		p = map[string]map[string]any{}
	}
	p[prop] = keywords
	d.patch = p
	return d
}

// defs lists the tools of the selected groups, in a fixed order.
func (t *Toolset) defs() []toolDef {
	var out []toolDef
	for _, d := range t.allDefs() {
		if t.cfg.has(d.group) {
			out = append(out, d)
		}
	}
	return out
}

func (t *Toolset) allDefs() []toolDef {
	var out []toolDef
	out = append(out, t.runDefs()...)
	out = append(out, t.jobDefs()...)
	out = append(out, t.scriptDefs()...)
	out = append(out, t.sessionDefs()...)
	out = append(out, t.extra.defs()...)
	// The budget's defaults are the server's, stated in the schemas.
	for i, d := range out {
		switch d.name {
		case toolRunInDir, toolRunDeps, toolBenchmark, toolExecutePython:
			out[i] = d.with("max_response_tokens", map[string]any{"default": t.cfg.responseTokens})
		case "get_job_output", "read_file":
			out[i] = d.with("max_bytes", map[string]any{"default": t.defaultShow()})
		}
	}
	return out
}

// def builds a toolDef for a typed handler, with the input schema from
// inputSchema (defaults included) and the compact output schema from
// outputSchema.
func def[In, Out any](g Group, tool *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) toolDef {
	return toolDef{name: tool.Name, group: g, add: func(s *mcp.Server, patch map[string]map[string]any) {
		tt := *tool
		tt.InputSchema = inputSchema[In](patch)
		tt.OutputSchema = outputSchema[Out]()
		mcp.AddTool(s, &tt, h)
	}}
}

// listTTL is how long a client may cache the server's lists and its
// server/discover answer: they are fixed for the life of the process.
const listTTL = 5 * time.Minute

// cacheHints sets the caching hints (ttlMs, cacheScope) of protocol
// 2026-07-28: the lists and server/discover may be cached by anyone, as they
// are the same for every client; a job stream changes while its job runs
// and holds a user's output, so it is never cached and never shared.
func cacheHints(_ context.Context, req mcp.Request, c *mcp.Cacheable) {
	if _, ok := req.(*mcp.ReadResourceRequest); ok {
		c.TTLMs, c.CacheScope = 0, "private"
		return
	}
	c.TTLMs, c.CacheScope = int(listTTL.Milliseconds()), "public"
}
