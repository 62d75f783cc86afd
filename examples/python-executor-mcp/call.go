package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
)

// callBudget is the smart-async budget of the call command: a one-shot
// command waits for its result (its jobs would die with the process).
const callBudget = 24 * time.Hour

// inProcess starts the configured server and connects an in-process MCP
// client to it through the SDK's in-memory transports: the same protocol
// path as a real client, without a subprocess.
func inProcess(ctx context.Context, cfg *config, log *slog.Logger) (*mcp.ClientSession, func(), error) {
	if !cfg.budgetSet {
		cfg.budget = callBudget
	}
	s, err := newServer(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.mcp.Connect(ctx, st, nil)
	if err != nil {
		_ = s.Close()
		return nil, nil, err
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "python-executor-mcp-call", Version: version}, nil).Connect(ctx, ct, nil)
	if err != nil {
		_ = ss.Close()
		_ = s.Close()
		return nil, nil, err
	}
	return cs, func() {
		_ = cs.Close()
		_ = s.Close() // cancels running work before the session closes
		_ = ss.Close()
	}, nil
}

// callCommand runs `call TOOL [JSON]`: one tool call through a real MCP
// client, printing the text content (markdown by default). Images are
// summarised. The exit code is 1 for a tool error.
func callCommand(ctx context.Context, cfg *config, args []string, log *slog.Logger, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintln(stderr, `usage: python-executor-mcp call [flags] TOOL ['{"arg": "value"}']`)
		return 2
	}
	arguments := map[string]any{}
	if len(args) == 2 && strings.TrimSpace(args[1]) != "" {
		if err := json.Unmarshal([]byte(args[1]), &arguments); err != nil {
			fmt.Fprintf(stderr, "python-executor-mcp: the arguments must be a JSON object: %v\n", err)
			return 2
		}
	}
	cs, closeAll, err := inProcess(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "python-executor-mcp:", err)
		return 1
	}
	defer closeAll()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: args[0], Arguments: arguments})
	if err != nil {
		fmt.Fprintln(stderr, "python-executor-mcp:", err)
		return 1
	}
	for _, c := range res.Content {
		switch c := c.(type) {
		case *mcp.TextContent:
			fmt.Fprintln(stdout, strings.TrimRight(c.Text, "\n"))
		case *mcp.ImageContent:
			fmt.Fprintf(stdout, "[image %s, %d bytes base64]\n", c.MIMEType, base64.StdEncoding.EncodedLen(len(c.Data)))
		}
	}
	if res.IsError {
		if _, err := uvcmd.Find(cfg.uv); err != nil {
			fmt.Fprintln(stderr, "python-executor-mcp: uv was not found:", uvHint)
		}
		return 1
	}
	return 0
}

// toolsCommand lists the tools with the first sentence of each description.
func toolsCommand(ctx context.Context, cfg *config, log *slog.Logger, stdout, stderr io.Writer) int {
	cs, closeAll, err := inProcess(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "python-executor-mcp:", err)
		return 1
	}
	defer closeAll()
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			fmt.Fprintln(stderr, "python-executor-mcp:", err)
			return 1
		}
		desc, _, _ := strings.Cut(tool.Description, ". ")
		fmt.Fprintf(stdout, "%-36s %s\n", tool.Name, strings.TrimSuffix(desc, "."))
	}
	return 0
}
