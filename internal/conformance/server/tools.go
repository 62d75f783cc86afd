package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

// The suite's minimal media, as in its reference server
// (examples/servers/typescript/everything-server.ts).
const (
	pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
	wavBase64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
)

func mustDecode(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	pngData = mustDecode(pngBase64)
	wavData = mustDecode(wavBase64)
)

// noArgs is the input of a tool without arguments.
type noArgs struct{}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// content returns a handler of a tool without arguments that answers c.
func content(c ...mcp.Content) mcp.ToolHandlerFor[noArgs, any] {
	return func(context.Context, *mcp.CallToolRequest, noArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: c}, nil, nil
	}
}

// addTools registers the plain (synchronous) fixture tools.
func addTools(s *mcp.Server) {
	mcptools.AddTool(s, &mcp.Tool{Name: "test_simple_text", Description: "Returns simple text content."},
		content(&mcp.TextContent{Text: "This is a simple text response for testing."}))
	mcptools.AddTool(s, &mcp.Tool{Name: "test_image_content", Description: "Returns image content."},
		content(&mcp.ImageContent{Data: pngData, MIMEType: "image/png"}))
	mcptools.AddTool(s, &mcp.Tool{Name: "test_audio_content", Description: "Returns audio content."},
		content(&mcp.AudioContent{Data: wavData, MIMEType: "audio/wav"}))
	mcptools.AddTool(s, &mcp.Tool{Name: "test_embedded_resource", Description: "Returns an embedded resource."},
		content(&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
			URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource"}}))
	mcptools.AddTool(s, &mcp.Tool{Name: "test_multiple_content_types", Description: "Returns text, image and resource content."},
		content(
			&mcp.TextContent{Text: "This is text content"},
			&mcp.ImageContent{Data: pngData, MIMEType: "image/png"},
			&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
				URI: "test://embedded-in-multiple", MIMEType: "text/plain", Text: "This is an embedded resource"}},
		))
	mcptools.AddTool(s, &mcp.Tool{Name: "test_error_handling", Description: "Always fails with a tool error."},
		func(context.Context, *mcp.CallToolRequest, noArgs) (*mcp.CallToolResult, any, error) {
			return nil, nil, errors.New("this tool intentionally returns an error for testing")
		})
	mcptools.AddTool(s, &mcp.Tool{Name: "test_tool_with_logging", Description: "Logs three messages while it runs."}, logThrice)
	mcptools.AddTool(s, &mcp.Tool{Name: "test_logging_tool", Description: "Logs one message (sent only if the client set a log level)."},
		func(ctx context.Context, req *mcp.CallToolRequest, _ noArgs) (*mcp.CallToolResult, any, error) {
			_ = req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Data: "test_logging_tool executed"})
			return text("log attempted"), nil, nil
		})
	mcptools.AddTool(s, &mcp.Tool{Name: "test_reconnection", Description: "Closes its SSE stream mid-call (SEP-1699), then answers."},
		func(ctx context.Context, req *mcp.CallToolRequest, _ noArgs) (*mcp.CallToolResult, any, error) {
			if req.Extra != nil && req.Extra.CloseSSEStream != nil {
				req.Extra.CloseSSEStream(mcp.CloseSSEStreamArgs{RetryAfter: 10 * time.Millisecond})
			}
			select {
			case <-time.After(100 * time.Millisecond): // the client reconnects meanwhile
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			return text("Reconnection test completed successfully."), nil, nil
		})
	mcptools.AddTool(s, &mcp.Tool{Name: "test_missing_capability", Description: "Needs the client's sampling capability (SEP-2575 -32021)."}, needSampling)
	mcptools.AddTool(s, &mcp.Tool{Name: "test_streaming_elicitation", Description: "Answers with a plain result: its stream carries no server requests (SEP-2575)."},
		content(&mcp.TextContent{Text: "stream observed: result frames only"}))
	addSchemaTools(s)
	addChangeTools(s)
}

func logThrice(ctx context.Context, req *mcp.CallToolRequest, _ noArgs) (*mcp.CallToolResult, any, error) {
	for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		if err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Data: msg}); err != nil {
			return nil, nil, err
		}
	}
	return text("Tool with logging executed successfully"), nil, nil
}

// needSampling answers -32021 unless the client declared sampling: a
// protocol error, which the SDK passes through as a *jsonrpc.Error.
func needSampling(_ context.Context, req *mcp.CallToolRequest, _ noArgs) (*mcp.CallToolResult, any, error) {
	if caps := req.ClientCapabilities(); caps != nil && caps.Sampling != nil {
		return text("the client declared sampling"), nil, nil
	}
	data, err := json.Marshal(mcp.MissingRequiredClientCapabilityData{
		RequiredCapabilities: &mcp.ClientCapabilities{Sampling: &mcp.SamplingCapabilities{}},
	})
	if err != nil {
		return nil, nil, err
	}
	return nil, nil, &jsonrpc.Error{Code: mcp.CodeMissingRequiredClientCapabilities,
		Message: "sampling capability required but not declared by client", Data: data}
}

// schema2020 is the input schema of json_schema_2020_12_tool: the 2020-12
// vocabulary (SEP-1613, SEP-2106) that tools/list must keep verbatim.
const schema2020 = `{
	"$schema": "https://json-schema.org/draft/2020-12/schema",
	"type": "object",
	"$defs": {
		"address": {
			"$anchor": "addressDef",
			"type": "object",
			"properties": {"street": {"type": "string"}, "city": {"type": "string"}}
		}
	},
	"properties": {
		"name": {"type": "string"},
		"address": {"$ref": "#/$defs/address"},
		"contactMethod": {"type": "string", "enum": ["phone", "email"]},
		"phone": {"type": "string"},
		"email": {"type": "string"}
	},
	"allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
	"if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
	"then": {"required": ["phone"]},
	"else": {"required": ["email"]},
	"additionalProperties": false
}`

// headerArgs are the arguments of test_x_mcp_header; region is mirrored
// into the Mcp-Param-Region header (SEP-2243).
type headerArgs struct {
	Region string `json:"region,omitempty"`
	Level  int    `json:"level,omitempty"`
}

func addSchemaTools(s *mcp.Server) {
	mcptools.AddTool(s, &mcp.Tool{Name: "json_schema_2020_12_tool", Description: "Has a JSON Schema 2020-12 input schema.",
		InputSchema: json.RawMessage(schema2020)},
		func(_ context.Context, _ *mcp.CallToolRequest, in json.RawMessage) (*mcp.CallToolResult, any, error) {
			return text("called with " + string(in)), nil, nil
		})
	mcptools.AddTool(s, &mcp.Tool{Name: "test_x_mcp_header", Description: "Mirrors region into an Mcp-Param header (SEP-2243).",
		InputSchema: json.RawMessage(`{
			"type": "object",
			"properties": {
				"region": {"type": "string", "description": "mirrored into Mcp-Param-Region", "x-mcp-header": "Region"},
				"level": {"type": "integer", "description": "not mirrored"}
			}
		}`)},
		func(_ context.Context, _ *mcp.CallToolRequest, in headerArgs) (*mcp.CallToolResult, any, error) {
			return text("region=" + in.Region), nil, nil
		})
}

// addChangeTools registers the tools that change the tool and prompt
// lists, so that list-changed notifications reach subscribers (SEP-2575).
func addChangeTools(s *mcp.Server) {
	var n atomic.Int64
	mcptools.AddTool(s, &mcp.Tool{Name: "test_trigger_tool_change", Description: "Adds a tool (tools/list_changed)."},
		func(context.Context, *mcp.CallToolRequest, noArgs) (*mcp.CallToolResult, any, error) {
			// A new name each time: mcptools.AddTool refuses to replace a tool.
			mcptools.AddTool(s, &mcp.Tool{Name: fmt.Sprintf("transient_tool_%d", n.Add(1)), Description: "Added by test_trigger_tool_change."},
				content(&mcp.TextContent{Text: "transient"}))
			return text("tools_list_changed published"), nil, nil
		})
	mcptools.AddTool(s, &mcp.Tool{Name: "test_trigger_prompt_change", Description: "Adds a prompt (prompts/list_changed)."},
		func(context.Context, *mcp.CallToolRequest, noArgs) (*mcp.CallToolResult, any, error) {
			s.AddPrompt(&mcp.Prompt{Name: "transient_prompt", Description: "Added by test_trigger_prompt_change."},
				func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
					return &mcp.GetPromptResult{}, nil
				})
			return text("prompts_list_changed published"), nil, nil
		})
}
