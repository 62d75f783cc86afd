package mcptools_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// ExampleNew registers the pyexec tools on a server and calls one through
// an in-memory client.
func ExampleNew() {
	ctx := context.Background()
	dataDir, _ := os.MkdirTemp("", "pyexec-example-")
	defer os.RemoveAll(dataDir)

	ts, err := mcptools.New(ctx, &mcptools.Options{DataDir: dataDir})
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close() // before the sessions close: cancels running jobs
	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)

	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "v1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cs.Close()

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_jobs", Arguments: map[string]any{}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(res.Content[0].(*mcp.TextContent).Text)
	// Output: No jobs.
}

// ExampleAddTool adds an embedding server's own tool next to the pyexec
// tools; a name clash would panic here instead of silently replacing a tool.
func ExampleAddTool() {
	dataDir, _ := os.MkdirTemp("", "pyexec-example-")
	defer os.RemoveAll(dataDir)
	ts, err := mcptools.New(context.Background(), &mcptools.Options{DataDir: dataDir, Groups: []mcptools.Group{mcptools.GroupJobs}})
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()
	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)

	type greetArgs struct {
		Name string `json:"name"`
	}
	mcptools.AddTool(server, &mcp.Tool{Name: "greet", Description: "Say hello."},
		func(_ context.Context, _ *mcp.CallToolRequest, in greetArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "hello " + in.Name}}}, nil, nil
		})
	fmt.Println(len(ts.Names()), "pyexec tools and greet")
	// Output: 7 pyexec tools and greet
}

// ExampleAddSmartTool registers a Go function as a smart-async tool in one
// call: within the budget a call returns the value; past it (here a 50 ms
// budget) the work continues as a job, which py_job_status follows to its
// result.
func ExampleAddSmartTool() {
	ctx := context.Background()
	dataDir, _ := os.MkdirTemp("", "pyexec-example-")
	defer os.RemoveAll(dataDir)
	ts, err := mcptools.New(ctx, &mcptools.Options{
		DataDir: dataDir,
		Budget:  50 * time.Millisecond,                // default 20 s
		Groups:  []mcptools.Group{mcptools.GroupJobs}, // nil: every configured group
	})
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()
	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)

	type napArgs struct {
		Millis int `json:"millis"`
		mcptools.SmartArgs
	}
	mcptools.AddSmartTool(ts, server, mcptools.SmartTool[napArgs, string]{
		Tool: &mcp.Tool{Name: "nap", Description: "Sleep, then say so."},
		Work: func(ctx context.Context, job *smartasync.Job[napArgs]) (string, error) {
			select {
			case <-time.After(time.Duration(job.Input.Millis) * time.Millisecond):
				return fmt.Sprintf("slept %d ms", job.Input.Millis), nil
			case <-ctx.Done(): // py_cancel_job
				return "", context.Cause(ctx)
			}
		},
	})

	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "v1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cs.Close()
	call := func(name string, args map[string]any) map[string]any {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil || res.IsError {
			log.Fatal(err, res)
		}
		return res.StructuredContent.(map[string]any)
	}

	fmt.Println(call("nap", map[string]any{"millis": 1})["result"])
	job := call("nap", map[string]any{"millis": 300, "job_label": "long nap"})
	fmt.Println(job["status"])
	for {
		st := call("py_job_status", map[string]any{"job_id": job["job_id"]})["job"].(map[string]any)
		if st["status"] == "completed" {
			fmt.Println(st["label"], st["result"])
			break
		}
		time.Sleep(20 * time.Millisecond) // a polling interval
	}
	// Output:
	// slept 1 ms
	// running
	// long nap slept 300 ms
}

// Example_stdio is a whole MCP server over stdio with every pyexec tool.
// Not run as a test: it serves the client on stdin and stdout until the
// client goes away (examples/embed also closes the Toolset on a signal).
func Example_stdio() {
	ctx := context.Background()
	ts, err := mcptools.New(ctx, nil) // data in ~/.python_mcp, python3 and uv from PATH
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close() // cancels running jobs and kills their process trees
	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)
	if err := server.Run(ctx, mcptools.StdioTransport(os.Stdin, os.Stdout, nil)); err != nil { // a bad line never ends it
		log.Print(err) // a stdio server logs to stderr, never to stdout
	}
}

// ExampleHTTPHandler serves every pyexec tool over streamable HTTP on
// loopback, to clients of 2026-07-28 (stateless) and of earlier revisions
// (sessions) alike. Not run as a test: it serves until the process ends.
func ExampleHTTPHandler() {
	ctx := context.Background()
	ts, err := mcptools.New(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()
	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)
	http.Handle("/mcp", mcptools.HTTPHandler(server, &mcptools.HTTPOptions{SessionTimeout: 30 * time.Minute}))
	log.Fatal(http.ListenAndServe("127.0.0.1:8765", nil)) // anyone who reaches it runs code: loopback, or a token in front
}
