package mcptools

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/jobstore"
)

// Tool names of the run group.
const (
	toolRunInDir      = "run_script_in_dir"
	toolRunDeps       = "run_script_with_dependencies"
	toolBenchmark     = "benchmark_script"
	toolRunInDirAsync = "run_script_in_dir_async"
	toolRunDepsAsync  = "run_script_with_dependencies_async"
)

func (t *Toolset) runDefs() []toolDef {
	dir := map[string]any{"description": dirWithoutWorkspace}
	if t.extra.workspace != nil {
		dir["description"] = dirWithWorkspace
	}
	// No annotations: the protocol's defaults (destructive, open world)
	// are what a run is, and stating them costs every reader bytes.
	var destructive *mcp.ToolAnnotations
	return []toolDef{
		def(GroupRun, &mcp.Tool{
			Name:        toolRunInDir,
			Title:       "Run a Python script in a directory",
			Description: "Run a Python file or inline code in a directory; returns stdout, stderr, exit code. use_uv: an isolated environment with the script's PEP 723 dependencies.",
			Annotations: destructive,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in RunInDirArgs) (*mcp.CallToolResult, *RunResult, error) {
			spec, err := t.prepareInDir(toolRunInDir, &in.DirArgs, &in.ScriptArgs, in.TimeoutSeconds, redactedParams(in, in.EnvVars))
			if err != nil {
				return nil, nil, err
			}
			spec.async, spec.stream = in.AsyncMode, true
			if spec.show, err = t.showBytes(in.MaxResponseTokens); err != nil {
				return nil, nil, err
			}
			spec.taskable, spec.markdown = true, in.Markdown
			o, err := t.execute(ctx, req, spec)
			if err != nil {
				return nil, nil, err
			}
			r := t.runResult(o, spec)
			return runText(in.Markdown, &r), &r, nil
		}).with("directory", dir),
		def(GroupRun, &mcp.Tool{
			Name:        toolRunDeps,
			Title:       "Run Python with dependencies",
			Description: "Run Python that needs packages: dependencies are installed in a cached isolated environment; returns the output and the exact versions.",
			Annotations: destructive,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in RunDepsArgs) (*mcp.CallToolResult, *DepsResult, error) {
			spec, err := t.prepareDeps(toolRunDeps, &in.ScriptArgs, in.Dependencies, in.TimeoutSeconds, redactedParams(in, in.EnvVars))
			if err != nil {
				return nil, nil, err
			}
			spec.async, spec.stream = in.AsyncMode, true
			if spec.show, err = t.showBytes(in.MaxResponseTokens); err != nil {
				return nil, nil, err
			}
			spec.taskable, spec.markdown = true, in.Markdown
			o, err := t.execute(ctx, req, spec)
			if err != nil {
				return nil, nil, err
			}
			r := t.depsResult(o, spec)
			return depsText(in.Markdown, &r), &r, nil
		}),
		def(GroupRun, &mcp.Tool{
			Name:        toolBenchmark,
			Title:       "Benchmark a Python script",
			Description: "As run_script_with_dependencies, measuring wall time, CPU time and peak memory (installs excluded).",
			Annotations: destructive,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in BenchmarkArgs) (*mcp.CallToolResult, *BenchmarkResult, error) {
			if in.SampleInterval < 0 {
				return nil, nil, argError("sample_interval", "must not be negative; use 0 for no sampling")
			}
			spec, err := t.prepareDeps(toolBenchmark, &in.ScriptArgs, in.Dependencies, in.TimeoutSeconds, redactedParams(in, in.EnvVars))
			if err != nil {
				return nil, nil, err
			}
			spec.async, spec.stream = in.AsyncMode, true
			if spec.show, err = t.showBytes(in.MaxResponseTokens); err != nil {
				return nil, nil, err
			}
			spec.taskable, spec.markdown = true, in.Markdown
			spec.req.Measure = true
			spec.req.SampleInterval = secondsDuration(in.SampleInterval)
			o, err := t.execute(ctx, req, spec)
			if err != nil {
				return nil, nil, err
			}
			r := t.benchResult(o, spec)
			return benchText(in.Markdown, &r), &r, nil
		}),
		def(GroupRun, &mcp.Tool{
			Name:        toolRunInDirAsync,
			Title:       "Start a Python script in a directory as a job",
			Description: "As run_script_in_dir, as a background job: returns its job_id at once.",
			Annotations: destructive,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in RunInDirAsyncArgs) (*mcp.CallToolResult, *AsyncStarted, error) {
			spec, err := t.prepareInDir(toolRunInDirAsync, &in.DirArgs, &in.ScriptArgs, in.TimeoutSeconds, redactedParams(in, in.EnvVars))
			if err != nil {
				return nil, nil, err
			}
			spec.async, spec.stream = true, in.Stream
			r, err := t.startAsync(ctx, req, spec)
			if err != nil {
				return nil, nil, err
			}
			return render(in.Markdown, r, func() string { return markdownStarted(r, "", nil) }), r, nil
		}).with("directory", dir),
		def(GroupRun, &mcp.Tool{
			Name:        toolRunDepsAsync,
			Title:       "Start Python with dependencies as a job",
			Description: "As run_script_with_dependencies, as a background job: returns its job_id once it starts, with the exact versions unless the environment build takes long.",
			Annotations: destructive,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in RunDepsAsyncArgs) (*mcp.CallToolResult, *AsyncDepsStarted, error) {
			spec, err := t.prepareDeps(toolRunDepsAsync, &in.ScriptArgs, in.Dependencies, in.TimeoutSeconds, redactedParams(in, in.EnvVars))
			if err != nil {
				return nil, nil, err
			}
			spec.async, spec.stream = true, in.Stream
			spec.started, spec.ended = make(chan executor.StartInfo, 1), make(chan struct{})
			s, err := t.startAsync(ctx, req, spec)
			if err != nil {
				return nil, nil, err
			}
			r := &AsyncDepsStarted{AsyncStarted: *s}
			// The contract returns the versions with the job id: wait for
			// the environment (cached: milliseconds) and the start.
			wait := time.NewTimer(startWait)
			defer wait.Stop()
			select {
			case si := <-spec.started:
				r.PythonVersionUsed, r.ResolvedDependencies = si.PythonVersion, si.ResolvedDependencies
			case <-spec.ended:
			case <-wait.C:
			case <-ctx.Done():
			}
			return render(in.Markdown, r, func() string { return markdownStarted(s, "", nil) }), r, nil
		}),
	}
}

// prepareInDir prepares a run in a directory: the given one, or the
// workspace (Options.Workspace) when it is omitted, or else a private
// temporary directory the executor creates and removes (executor.Request's
// empty Dir). A relative directory is resolved in the workspace, never
// against the server's own working directory, which a stdio server's client
// chose and the model cannot see.
func (t *Toolset) prepareInDir(tool string, dir *DirArgs, in *ScriptArgs, timeout float64, params any) (*runSpec, error) {
	d, err := t.runDir(dir.Directory)
	if err != nil {
		return nil, err
	}
	spec, err := t.prepare(tool, in, d, timeout, params)
	if err != nil {
		return nil, err
	}
	spec.req.UseUV = dir.UseUV
	return spec, nil
}

// runDir resolves a run tool's directory argument (see prepareInDir).
func (t *Toolset) runDir(dir string) (string, error) {
	ws := t.extra.workspace
	switch {
	case filepath.IsAbs(dir):
		return dir, nil
	case ws == nil && dir == "":
		return "", nil // the executor's private temporary directory
	case ws == nil:
		return "", argError("directory", "%q is relative, and this server has no workspace to resolve it in; give an absolute path, or omit directory to run in a private temporary directory", dir)
	case dir != "" && !filepath.IsLocal(dir):
		return "", argError("directory", "%q leads out of the workspace %s; give a path inside it, or an absolute path", dir, ws.Dir())
	}
	return filepath.Join(ws.Dir(), dir), nil
}

// prepareDeps prepares a uv run with dependencies.
func (t *Toolset) prepareDeps(tool string, in *ScriptArgs, deps []string, timeout float64, params any) (*runSpec, error) {
	spec, err := t.prepare(tool, in, "", timeout, params)
	if err != nil {
		return nil, err
	}
	spec.req.UseUV = true
	spec.req.Dependencies = deps
	return spec, nil
}

// startAsync starts spec as a background job.
func (t *Toolset) startAsync(ctx context.Context, req *mcp.CallToolRequest, spec *runSpec) (*AsyncStarted, error) {
	o, err := t.execute(ctx, req, spec)
	if err != nil {
		return nil, err
	}
	strategy := executor.StrategySystem
	if spec.req.UseUV {
		strategy = executor.StrategyUV
	}
	return &AsyncStarted{
		JobID:             o.jobID,
		Status:            StatusStarted,
		ExecutionStrategy: string(strategy),
		Message:           fmt.Sprintf("Job %s started; %s. Live output: %s.", o.jobID, followHint, JobStreamURI(o.jobID)),
		AutosavedScript:   spec.autosaved,
	}, nil
}

// jobKind is the job store kind of a run.
func jobKind(spec *runSpec) string {
	return kind{tool: spec.tool, buffered: spec.async && !spec.stream, json: spec.taskable && !spec.markdown}.String()
}

// kind is a job's kind: its tool's name, then the flags of the call that
// the record has no other place for, each "+flag": "+buffered" (an *_async
// run with stream=false) and "+json" (markdown_output=false, so that a
// task's result is rendered as the tool would have rendered it).
type kind struct {
	tool           string
	buffered, json bool
}

func parseKind(s string) kind {
	tool, flags, _ := strings.Cut(s, "+")
	k := kind{tool: tool}
	for f := range strings.SplitSeq(flags, "+") {
		switch f {
		case "buffered":
			k.buffered = true
		case "json":
			k.json = true
		}
	}
	return k
}

func (k kind) String() string {
	s := k.tool
	if k.buffered {
		s += "+buffered"
	}
	if k.json {
		s += "+json"
	}
	return s
}

// setRunRenderers registers how a completed run of each tool that can
// become a task is rendered: by the same functions as a result within the
// budget.
func (t *Toolset) setRunRenderers() {
	for _, tool := range []string{toolRunInDir, toolRunDeps, toolBenchmark} {
		t.setRenderer(tool, func(j *jobstore.Job) (*mcp.CallToolResult, error) {
			md := !parseKind(j.Kind).json
			var res *mcp.CallToolResult
			var v any
			switch tool {
			case toolRunInDir:
				var r RunResult
				if err := json.Unmarshal(j.Result, &r); err != nil {
					return nil, err
				}
				r.JobID = j.ID
				r.noteOmitted()
				res, v = runText(md, &r), &r
			case toolRunDeps:
				var r DepsResult
				if err := json.Unmarshal(j.Result, &r); err != nil {
					return nil, err
				}
				r.JobID = j.ID
				r.noteOmitted()
				res, v = depsText(md, &r), &r
			default:
				var r BenchmarkResult
				if err := json.Unmarshal(j.Result, &r); err != nil {
					return nil, err
				}
				r.JobID = j.ID
				r.noteOmitted()
				res, v = benchText(md, &r), &r
			}
			res.StructuredContent = v
			return res, nil
		})
	}
}

// runText, depsText and benchText are the results of the run tools: the
// text, and a link to the job's output stream when the text leaves part of
// it out.
func runText(md bool, r *RunResult) *mcp.CallToolResult {
	return r.linked(render(md, r, func() string { return markdownRun(r, nil, nil) }))
}

func depsText(md bool, r *DepsResult) *mcp.CallToolResult {
	return r.linked(render(md, r, func() string { return markdownRun(&r.RunResult, r.ResolvedDependencies, nil) }))
}

func benchText(md bool, r *BenchmarkResult) *mcp.CallToolResult {
	return r.linked(render(md, r, func() string {
		var b *BenchmarkResult
		if r.ExitCode != nil {
			b = r
		}
		return markdownRun(&r.RunResult, r.ResolvedDependencies, b)
	}))
}

// omitted reports whether the result leaves out output its job keeps.
func (r *RunResult) omitted() bool {
	return r.JobID != "" && r.StdoutOmittedBytes+r.StderrOmittedBytes > 0
}

// noteOmitted adds to a stored result, rendered again for its job, how to
// read what it leaves out.
func (r *RunResult) noteOmitted() {
	if r.omitted() && !strings.Contains(r.Message, "get_job_output") {
		r.Message = joinSentences(r.Message, omittedHint(r.JobID, r))
	}
}

// linked adds a resource_link to the job's output stream to res when r
// leaves output out.
func (r *RunResult) linked(res *mcp.CallToolResult) *mcp.CallToolResult {
	if r.omitted() {
		res.Content = append(res.Content, &mcp.ResourceLink{
			URI:         JobStreamURI(r.JobID),
			Name:        "job-stream-" + r.JobID,
			Title:       "All output of job " + r.JobID,
			Description: "The run's whole stdout and stderr (the response shows part of it).",
			MIMEType:    "text/plain",
		})
	}
	return res
}
