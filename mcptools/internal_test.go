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
	require.NoError(t, json.Unmarshal(inputSchema[args](), &got))
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

	type badType struct {
		C chan int `json:"c"`
	}
	require.Panics(t, func() { inputSchema[badType]() })
	type badDefault struct {
		B bool `json:"b,omitempty" default:"yes please"`
	}
	require.Panics(t, func() { inputSchema[badDefault]() })
	type requiredWithDefault struct {
		S string `json:"s" default:"x"`
	}
	require.Panics(t, func() { inputSchema[requiredWithDefault]() })
}

func TestIncompleteTail(t *testing.T) {
	t.Parallel()
	s := []byte("aé漢😀")
	for cut := 0; cut <= len(s); cut++ {
		b := s[:cut]
		k := incompleteTail(b)
		require.True(t, utf8.Valid(b[:len(b)-k]), "cut %d", cut)
		require.True(t, k == 0 || !utf8.Valid(b), "cut %d", cut)
	}
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
