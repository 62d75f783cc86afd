package mcptools

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
)

func TestInputSchema(t *testing.T) {
	t.Parallel()
	type embedded struct {
		Flag bool `json:"flag,omitempty" default:"true" jsonschema:"a flag"`
	}
	type args struct {
		Name string `json:"name" jsonschema:"required name"`
		embedded
		N    int               `json:"n,omitempty" default:"50" minimum:"1"`
		F    float64           `json:"f,omitempty" default:"0.5"`
		L    []string          `json:"l,omitempty"`
		M    map[string]string `json:"m,omitempty"`
		Skip string            `json:"-"`
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal(inputSchema[args](nil), &got))
	want := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"name"},
		"properties": map[string]any{
			"name": map[string]any{"type": "string", "description": "required name"},
			"flag": map[string]any{"type": "boolean", "default": true, "description": "a flag"},
			"n":    map[string]any{"type": "integer", "default": 50.0, "minimum": 1.0},
			"f":    map[string]any{"type": "number", "default": 0.5},
			"l":    map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"m":    map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		},
	}
	require.Equal(t, want, got)

	type limits struct {
		On bool `json:"on,omitempty" default:"false"`
	}
	type nested struct {
		L   limits `json:"l,omitzero" default:"{}"`
		Off *int64 `json:"off,omitempty" minimum:"0"`
		D   int    `json:"d,omitempty" default:"0"`
	}
	got = nil
	require.NoError(t, json.Unmarshal(inputSchema[nested](map[string]map[string]any{"d": {"default": 7, "description": "from the config"}}), &got))
	require.Equal(t, map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"l": map[string]any{"type": "object", "additionalProperties": false, "default": map[string]any{},
				"properties": map[string]any{"on": map[string]any{"type": "boolean", "default": false}}},
			"off": map[string]any{"type": []any{"integer", "null"}, "default": nil, "minimum": 0.0},
			"d":   map[string]any{"type": "integer", "default": 7.0, "description": "from the config"},
		},
	}, got)
	require.Panics(t, func() { inputSchema[nested](map[string]map[string]any{"nope": {"default": 1}}) })
	require.Panics(t, func() { inputSchema[args](map[string]map[string]any{"name": {"default": "x"}}) })
	got = nil
	require.NoError(t, json.Unmarshal(inputSchema[InstallPackageArgs](nil), &got))
	require.Len(t, got["anyOf"], 2)

	type badType struct {
		C chan int `json:"c"`
	}
	require.Panics(t, func() { inputSchema[badType](nil) })
	type badDefault struct {
		B bool `json:"b,omitempty" default:"yes please"`
	}
	require.Panics(t, func() { inputSchema[badDefault](nil) })
	type requiredWithDefault struct {
		S string `json:"s" default:"x"`
	}
	require.Panics(t, func() { inputSchema[requiredWithDefault](nil) })
}

// TestFitOutput: output is cut to its budget as it is sent, JSON-escaped,
// however odd its bytes; what fits is left whole.
func TestFitOutput(t *testing.T) {
	t.Parallel()
	o, e := fitOutput(headtail.SpanOf("short"), headtail.SpanOf(""), 100)
	require.Equal(t, "short", o.Text())
	require.Empty(t, e.Text())
	for _, flood := range []string{strings.Repeat("é", 1000), strings.Repeat("\x01", 5000), strings.Repeat("<a>\n", 2000), strings.Repeat("\xff", 3000)} {
		o, e = fitOutput(headtail.SpanOf(flood), headtail.SpanOf(flood[:100]), 1000)
		require.LessOrEqual(t, escapedLen(o)+escapedLen(e), 1000)
		b, err := json.Marshal(o.Text() + e.Text())
		require.NoError(t, err)
		require.LessOrEqual(t, len(b), 1000+2*100, "the escaped text stays within the budget, markers aside")
		require.True(t, utf8.ValidString(o.Text()))
		_, n := o.Omitted()
		require.Positive(t, n)
	}
}

func TestFence(t *testing.T) {
	t.Parallel()
	require.Equal(t, "```text\nhi\n```\n", fence("text", "hi"))
	require.Equal(t, "`````\na ```` b\n`````\n", fence("", "a ```` b\n"))
}

// TestToolWords: executor messages name Request fields; the tools name
// their parameters. Quoted input (a path, a version) is never rewritten.
func TestToolWords(t *testing.T) {
	for in, want := range map[string]string{
		"give exactly one of ScriptPath and Code":                              "give exactly one of script_path and script_content",
		`Dir "/srv/Code/Dir" does not exist; give an existing directory`:       `directory "/srv/Code/Dir" does not exist; give an existing directory`,
		"Dependencies need UseUV (the system interpreter cannot install them)": "dependencies need use_uv (the system interpreter cannot install them)",
		`PythonVersion "3.99" is not installed; installed: 3.11.7`:             `python_version "3.99" is not installed; installed: 3.11.7`,
		"EnvFile and Env; Environment and Codes stay":                          "env_file and env_vars; Environment and Codes stay",
	} {
		require.Equal(t, want, toolWords(in))
	}
}

// BenchmarkCheckFrame is what StdioTransport adds to every inbound line of
// a stdio session: the checks of a typical tools/call request.
func BenchmarkCheckFrame(b *testing.B) {
	line := []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"run_script_in_dir","arguments":{"directory":"/tmp","script_content":"print(1)","markdown_output":false},"_meta":{"progressToken":7}}}`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if code, why := checkFrame(line, len(line)); code != 0 {
			b.Fatal(why)
		}
	}
}
