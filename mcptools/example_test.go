package mcptools_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/mcptools"
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
