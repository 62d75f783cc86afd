package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

// The servers under test, as named in subtests.
const (
	serverExample  = "python-executor-mcp" // examples/python-executor-mcp: the real server
	serverFixtures = "fixtures"            // ./server: the suite's fixtures on mcptools
)

// Their packages.
var serverPackages = map[string]string{
	serverExample:  "github.com/pyexec-mcp/pyexec/examples/python-executor-mcp",
	serverFixtures: "github.com/pyexec-mcp/pyexec/internal/conformance/server",
}

// Timeouts of a server's life in a test: its start (until it prints where
// it listens) and its stop after SIGTERM.
const (
	startTimeout = time.Minute
	stopTimeout  = 15 * time.Second
)

// buildServers builds every server into a temporary directory, with the
// race detector when the test has it, and returns the binaries by server.
func buildServers(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	bins := map[string]string{}
	var g errgroup.Group
	for name, pkg := range serverPackages {
		bin := filepath.Join(dir, name)
		bins[name] = bin
		g.Go(func() error {
			args := []string{"build", "-o", bin}
			if raceEnabled {
				args = append(args, "-race")
			}
			out, err := exec.CommandContext(t.Context(), gobin, append(args, pkg)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	return bins
}

// serverLog is the combined output of a server process.
type serverLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *serverLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.WriteString(line)
	l.buf.WriteByte('\n')
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startServer starts bin with args and env until the test ends, and
// returns the URL of its endpoint, read from the first line of its output
// that ready matches (submatch 1). At the end it stops the server with
// SIGTERM and fails the test if the race detector spoke.
func startServer(t *testing.T, bin string, args, env []string, ready *regexp.Regexp, url func(match string) string) string {
	t.Helper()
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = pw, pw
	require.NoError(t, cmd.Start())
	_ = pw.Close() // the child holds its copy

	log := &serverLog{}
	found := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		sent := false
		for sc.Scan() {
			log.add(sc.Text())
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- url(m[1])
				sent = true
			}
		}
	}()
	t.Cleanup(func() {
		stopServer(t, cmd)
		select {
		case <-read:
		case <-time.After(stopTimeout): // a grandchild holding the pipe
		}
		_ = pr.Close()
		<-read
		if out := log.String(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector reported a data race:\n%s", filepath.Base(bin), out)
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	select {
	case u := <-found:
		return u
	case <-read:
		t.Fatalf("%s ended before it listened:\n%s", filepath.Base(bin), log.String())
	case <-ctx.Done():
		t.Fatalf("%s did not listen within %s:\n%s", filepath.Base(bin), startTimeout, log.String())
	}
	return ""
}

// stopServer ends cmd with SIGTERM, and SIGKILL if it outlives stopTimeout.
func stopServer(t *testing.T, cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(stopTimeout):
		t.Errorf("%s did not stop within %s of SIGTERM; killed", filepath.Base(cmd.Path), stopTimeout)
		_ = cmd.Process.Kill()
		<-waited
	}
}

// fixtureReady is the fixture server's "listening URL" line.
var fixtureReady = regexp.MustCompile(`^listening (http://\S+)$`)

// exampleReady is the example server's start log line, with its address.
var exampleReady = regexp.MustCompile(`msg="server started" transport=http addr=(\S+)`)

// startFixtures starts the fixture server with its own data directory.
func startFixtures(t *testing.T, bin string) string {
	return startServer(t, bin, []string{"-data-dir", t.TempDir()}, nil, fixtureReady, func(u string) string { return u })
}

// startExample starts the example server over HTTP on a free loopback port,
// with its own data directory and the test machine's interpreter and uv.
func startExample(t *testing.T, bin, python, uv string) string {
	args := []string{"--http", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "info"}
	env := []string{"PYEXEC_PYTHON=" + python, "PYEXEC_UV=" + uv,
		"PYEXEC_HTTP_TOKEN=", "PYEXEC_HTTP_TOKEN_FILE="} // no token from the environment
	return startServer(t, bin, args, env, exampleReady, func(addr string) string { return "http://" + addr + "/mcp" })
}
