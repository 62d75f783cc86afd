package executor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pyexec-mcp/pyexec/executor"
)

// A script with a timeout, through the system interpreter.
func ExampleExecutor_Run() {
	dir, _ := os.MkdirTemp("", "pyexec-example-")
	defer os.RemoveAll(dir)
	ex, err := executor.New(&executor.Options{DataDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := ex.Run(context.Background(), &executor.Request{
		Code:    "import sys; print(6 * 7); sys.exit(3)",
		Timeout: 30 * time.Second,
	})
	if err != nil {
		fmt.Println(err) // bad input, no interpreter, unresolvable dependencies
		return
	}
	fmt.Print(res.Stdout)
	fmt.Println(res.ExitCode, res.Strategy, res.TimedOut)
	// Output:
	// 42
	// 3 system-python false
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
