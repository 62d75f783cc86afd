package envload_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pyexec-mcp/pyexec/envload"
)

// Build layers a .env file and explicit variables over a base environment,
// for a child process's Env.
func ExampleBuild() {
	dir, _ := os.MkdirTemp("", "envload")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, ".env")
	_ = os.WriteFile(file, []byte(`
# the file sees the base layer and the lines above it
export DATA_DIR=${HOME}/data
GREETING="hello
world"
LOG_LEVEL=debug
`), 0o600)
	cmd := exec.Command("python3", "job.py") // not started here

	env, err := envload.Build(&envload.Options{
		Base:  []string{"HOME=/home/ada", "LOG_LEVEL=info", "VIRTUAL_ENV=/venv"}, // nil: os.Environ()
		File:  file,
		Vars:  map[string]string{"LOG_LEVEL": "warning"},
		Unset: []string{"VIRTUAL_ENV"},
	})
	if err != nil {
		log.Fatal(err) // names the bad input and how to fix it
	}
	cmd.Env = env // sorted by key
	for _, kv := range cmd.Env {
		fmt.Printf("%q\n", kv)
	}
	// Output:
	// "DATA_DIR=/home/ada/data"
	// "GREETING=hello\nworld"
	// "HOME=/home/ada"
	// "LOG_LEVEL=warning"
}

func ExampleParse() {
	vars, err := envload.Parse(strings.NewReader("A=1\nB=\"${A} and two\"\n"))
	fmt.Println(vars, err)
	// Output:
	// map[A:1 B:1 and two] <nil>
}

func ExampleBuild_error() {
	_, err := envload.Build(&envload.Options{Vars: map[string]string{"A=B": "x"}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, envload.ErrInvalidKey))
	// Output:
	// envload: the variable map key "A=B" contains '='; keys may not contain '=' or NUL
	// true
}
