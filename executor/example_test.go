package executor_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/pyexec-mcp/pyexec/executor"
)

// A script with a timeout, through the system interpreter. A failing script
// is a Result, not an error.
func ExampleExecutor_Run() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "pyexec-example-")
	defer os.RemoveAll(dir)

	ex, err := executor.New(&executor.Options{DataDir: dir}) // python3 and uv from PATH
	if err != nil {
		log.Fatal(err)
	}
	res, err := ex.Run(ctx, &executor.Request{
		Code:    "import sys; print(6 * 7); sys.exit(3)",
		Timeout: 30 * time.Second,
	})
	if err != nil {
		log.Fatal(err) // bad input, no interpreter, unresolvable dependencies
	}
	fmt.Print(res.Stdout)                                 // 42
	fmt.Println(res.ExitCode, res.Strategy, res.TimedOut) // 3 system-python false
	// Output:
	// 42
	// 3 system-python false
}

// Dependencies are resolved to exact pins and installed into an isolated
// environment that uv makes once; later runs with the same pins start that
// environment's interpreter directly. Not run as a test: it needs uv and
// the package index.
func ExampleRequest_dependencies() {
	ctx := context.Background()
	ex, err := executor.New(nil) // python3 and uv from PATH, environments in ~/.python_mcp/envs
	if err != nil {
		log.Fatal(err)
	}
	res, err := ex.Run(ctx, &executor.Request{
		Code:         "import six; print(six.__version__)",
		UseUV:        true,
		Dependencies: []string{"six>=1.16"},
		Timeout:      time.Minute,
	})
	if err != nil {
		log.Fatal(err) // bad input, no interpreter, unresolvable dependencies
	}
	fmt.Print(res.Stdout)                 // 1.17.0
	fmt.Println(res.ResolvedDependencies) // [six==1.17.0]
}

// A runaway script is stopped with its whole process tree; partial output
// is kept.
func ExampleRequest_timeout() {
	dir, _ := os.MkdirTemp("", "pyexec-example-")
	defer os.RemoveAll(dir)
	ex, err := executor.New(&executor.Options{DataDir: dir, Grace: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _ := ex.Run(context.Background(), &executor.Request{
		Code:    "import time\nprint('started', flush=True)\nwhile True: time.sleep(0.01)",
		Timeout: 500 * time.Millisecond,
	})
	fmt.Print(res.Stdout)
	fmt.Println(res.TimedOut, res.ExitCode)
	// Output:
	// started
	// true -15
}

// Bad input is an error naming the Request field and the fix.
func ExampleRequestError() {
	ex, _ := executor.New(&executor.Options{DataDir: os.TempDir()})
	err := ex.Validate(context.Background(), &executor.Request{Code: "pass", PythonVersion: "3.12.1"})
	var re *executor.RequestError
	if errors.As(err, &re) {
		fmt.Println(re.Field + ": " + re.Reason)
	}
	// Output:
	// PythonVersion: PythonVersion "3.12.1" is not an exact minor version; use the form "3.12"
}
