package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// clientConfig is the shape of every client configuration the READMEs
// show: Claude Desktop's mcpServers, VS Code's servers and inputs. Decoding
// refuses any other member, so a snippet of a new shape fails until this
// test learns to run it.
type clientConfig struct {
	MCPServers map[string]clientServer `json:"mcpServers"`
	Servers    map[string]clientServer `json:"servers"`
	Inputs     []struct {
		ID          string `json:"id"`
		Type        string `json:"type"`
		Password    bool   `json:"password"`
		Description string `json:"description"`
	} `json:"inputs"`
}

type clientServer struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// jsonFences returns the ```json code blocks of lines.
func jsonFences(lines []string) []string {
	var out []string
	var b strings.Builder
	in := false
	for _, line := range lines {
		switch {
		case !in && strings.TrimSpace(line) == "```json":
			in = true
			b.Reset()
		case in && strings.TrimSpace(line) == "```":
			in = false
			out = append(out, b.String())
		case in:
			b.WriteString(line + "\n")
		}
	}
	return out
}

// TestReadmeClientConfigs starts the server exactly as each client
// configuration in the READMEs' "Client configuration" sections says —
// command, args, env over stdio (the SDK's CommandTransport, as a client
// spawns it); the URL and headers over streamable HTTP — lists the tools
// and runs one small script. Every snippet of the sections must run.
func TestReadmeClientConfigs(t *testing.T) {
	t.Parallel()
	testenv.UV(t)
	for _, readme := range []struct{ name, path string }{{"README", readmePath}, {"examples-README", "README.md"}} {
		snippets := jsonFences(readmeSection(t, readme.path, "## Client configuration"))
		require.NotEmpty(t, snippets, "%s: no json snippets under Client configuration", readme.path)
		for i, snippet := range snippets {
			t.Run(fmt.Sprintf("%s/%d", readme.name, i+1), func(t *testing.T) {
				t.Parallel()
				dec := json.NewDecoder(strings.NewReader(snippet))
				dec.DisallowUnknownFields()
				var cfg clientConfig
				require.NoError(t, dec.Decode(&cfg), "a snippet of a shape this test does not know:\n%s", snippet)
				servers := cfg.MCPServers
				if servers == nil {
					servers = cfg.Servers
				}
				require.NotEmpty(t, servers, "a snippet without servers:\n%s", snippet)
				inputs := map[string]string{}
				for _, in := range cfg.Inputs {
					inputs[in.ID] = randomToken(t) // what the client would prompt for
				}
				for name, s := range servers {
					var cs *mcp.ClientSession
					switch {
					case (s.Type == "" || s.Type == "stdio") && s.Command != "" && s.URL == "" && s.Headers == nil:
						cs = startSnippetStdio(t, s)
					case s.Type == "http" && s.Command == "" && s.Args == nil && s.Env == nil:
						cs = startSnippetHTTP(t, s, inputs)
					default:
						t.Fatalf("server %q has a shape this test does not run: %+v", name, s)
					}
					smallCall(t, cs)
				}
			})
		}
	}
}

func randomToken(t *testing.T) string {
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// snippetBaseEnv is the environment a client starts the server in: the
// test's, without the PYEXEC_ settings of whoever runs the tests, and with
// the test's uv reachable (uvcmd.Find looks on PATH and in ~/.local/bin; CI
// may name uv with PYEXEC_TEST_UV instead).
func snippetBaseEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "PYEXEC_") || name == "SMART_ASYNC_TIMEOUT_SECONDS":
		case name == "PATH":
			env = append(env, "PATH="+value+string(filepath.ListSeparator)+filepath.Dir(testenv.UV(t)))
		default:
			env = append(env, kv)
		}
	}
	return env
}

// binaryFor maps a snippet's command to the built server: the name a
// client finds on PATH after `go install`, or a path on the README
// author's machine (/home/me/bin/…).
func binaryFor(t *testing.T, command string) string {
	t.Helper()
	require.Equal(t, "python-executor-mcp", filepath.Base(command), "a snippet that starts another program")
	return serverBinary
}

// snippetEnvValue is the value of a snippet's env entry on this machine:
// exact, except paths of the README author's machine, which name a
// directory or an interpreter here instead. A new path-valued variable
// fails until it is listed, so that no value is silently replaced.
func snippetEnvValue(t *testing.T, key, value string) string {
	t.Helper()
	switch key {
	case "PYEXEC_DATA_DIR": // "/home/me/.python_mcp": the test's own directory
		return t.TempDir()
	case "PYEXEC_PYTHON": // "/usr/bin/python3": this machine's interpreter
		return testenv.Python(t)
	}
	require.False(t, strings.HasPrefix(value, "/") || strings.HasPrefix(value, "~"),
		"env %s=%q is a path of the README author's machine: say here what it is on a test machine", key, value)
	return value
}

// startSnippetStdio spawns the server as a client would for s.
func startSnippetStdio(t *testing.T, s clientServer) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(binaryFor(t, s.Command), s.Args...)
	cmd.Env = snippetBaseEnv(t)
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+snippetEnvValue(t, k, v))
	}
	if _, ok := s.Env["PYEXEC_DATA_DIR"]; !ok {
		cmd.Env = append(cmd.Env, "HOME="+t.TempDir()) // the default data directory, ~/.python_mcp, is the test's
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "readme-client", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err, "server stderr:\n%s", &stderr)
	t.Cleanup(func() {
		_ = cs.Close()
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	return cs
}

// headers sets a snippet's HTTP headers on every request.
type headers struct {
	h    map[string]string
	next http.RoundTripper
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.h {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

var inputRef = regexp.MustCompile(`\$\{input:([^}]+)\}`)

// startSnippetHTTP starts the server with --http on the snippet's loopback
// host and connects to its URL with the SDK's streamable client. The port
// is one the kernel picks (--http HOST:0, read back from the server's
// start line) rather than the snippet's: a fixed port may be taken on a
// test machine. A header that names a client input (${input:id}, VS Code's
// prompt) gets a random value; when the input is the bearer token, the
// server is given the same token.
func startSnippetHTTP(t *testing.T, s clientServer, inputs map[string]string) *mcp.ClientSession {
	t.Helper()
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	require.True(t, isLoopbackHost(u.Hostname()), "an HTTP snippet off loopback: %s", s.URL)
	env := append(snippetBaseEnv(t), "PYEXEC_DATA_DIR="+t.TempDir(), "PYEXEC_LOG_LEVEL=info")
	sent := map[string]string{}
	for k, v := range s.Headers {
		v = inputRef.ReplaceAllStringFunc(v, func(ref string) string {
			val, ok := inputs[inputRef.FindStringSubmatch(ref)[1]]
			require.True(t, ok, "header %s names an input the snippet does not declare: %s", k, ref)
			return val
		})
		if tok, ok := bearerToken(v); ok && strings.EqualFold(k, "Authorization") {
			env = append(env, "PYEXEC_HTTP_TOKEN="+tok)
		}
		sent[k] = v
	}
	cmd := exec.Command(serverBinary, "--http", net.JoinHostPort(u.Hostname(), "0"))
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	addr := make(chan string, 1)
	var log bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := regexp.MustCompile(`"server started" transport=http addr=(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default: // the address is known already
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		close(addr)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		<-done
		if t.Failed() {
			t.Logf("server stderr:\n%s", log.String())
		}
	})
	var bound string
	select {
	case a, ok := <-addr:
		require.True(t, ok, "the server did not start")
		bound = a
	case <-time.After(time.Minute): // a generous bound, as testenv.PollUntil's: a server that runs but never says where must not hang the test
		t.Fatal(`the server did not log "server started" with its address within a minute`)
	}
	_, port, _ := net.SplitHostPort(bound)
	u.Host = net.JoinHostPort(u.Hostname(), port)
	hc := &http.Client{Transport: headers{h: sent, next: http.DefaultTransport.(*http.Transport).Clone()}}
	t.Cleanup(hc.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "readme-client", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: u.String(), HTTPClient: hc, MaxRetries: -1}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// smallCall lists the tools and runs one small script through them.
func smallCall(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		require.NoError(t, err)
		names = append(names, tool.Name)
	}
	require.Contains(t, names, "run_script_in_dir")
	res := callTool(t, cs, "run_script_in_dir", map[string]any{"script_content": "print(6*7)"})
	require.False(t, res.IsError, textOf(res))
	require.Contains(t, textOf(res), "42")
}
