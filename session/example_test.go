package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/pyexec-mcp/pyexec/session"
)

// Example runs cells in one session; variables survive between calls. It
// needs python3 on PATH.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "session-example-")
	defer os.RemoveAll(dir)
	ws := filepath.Join(dir, "workspace")

	m, err := session.NewManager(&session.Options{Python: "python3", WorkspaceDir: ws}) // uv from PATH, for Install
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close() // stops every kernel
	if _, err := m.Execute(ctx, "default", "import math\nr = 2", 30*time.Second); err != nil {
		log.Fatal(err)
	}
	res, err := m.Execute(ctx, "default", "math.pi * r**2", 30*time.Second)
	if err != nil {
		log.Fatal(err) // the session could not run the cell; a Python exception is in res.Error
	}
	fmt.Println(res.Value) // 12.566370614359172, the repr of the trailing expression
	// Output: 12.566370614359172
}

// ExampleManager_Install installs a package into a live session and uses it
// without a restart. It needs python3, uv and the package index.
func ExampleManager_Install() {
	m, err := session.NewManager(&session.Options{Python: "python3"})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	ir, err := m.Install(ctx, "analysis", []string{"matplotlib"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ir.Requested[0].Name, ir.Requested[0].Version)
	res, err := m.Execute(ctx, "analysis", "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2]);", time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Images), res.Images[0].MIME)
}

// ExampleNewManager shows the error for missing options.
func ExampleNewManager() {
	_, err := session.NewManager(&session.Options{})
	fmt.Println(errors.Is(err, session.ErrInvalidOptions))
	fmt.Println(err)
	// Output:
	// true
	// session: invalid options: Python is required: the path of a Python 3.8+ interpreter
}

// ExampleManager_Run streams a cell's output as it runs and reads the
// value's MIME bundle. It needs python3 on PATH.
func ExampleManager_Run() {
	dir, _ := os.MkdirTemp("", "session-example-")
	defer os.RemoveAll(dir)
	m, err := session.NewManager(&session.Options{Python: "python3", WorkspaceDir: filepath.Join(dir, "workspace")})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	code := `for i in range(3):
    print("step", i)
class Bold:
    def _repr_html_(self): return "<b>bold</b>"
    def __repr__(self): return "Bold()"
Bold()`
	// os.Stdout gets each line as the cell prints it, on a goroutine of
	// its own; Run returns once it has everything.
	res, err := m.Run(context.Background(), "", code, &session.CellOptions{Timeout: time.Minute, Stdout: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Data["text/plain"], res.Data["text/html"])
	// Output:
	// step 0
	// step 1
	// step 2
	// Bold() <b>bold</b>
}

// ExampleManager_History lists the cells a session ran with their outputs
// in nbformat terms, for a notebook. It needs python3 on PATH.
func ExampleManager_History() {
	dir, _ := os.MkdirTemp("", "session-example-")
	defer os.RemoveAll(dir)
	m, err := session.NewManager(&session.Options{Python: "python3", WorkspaceDir: filepath.Join(dir, "workspace")})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	for _, code := range []string{"print('hi')", "x = 6 * 7\nx", "x / 0"} {
		if _, err := m.Execute(ctx, "nb", code, time.Minute); err != nil {
			log.Fatal(err)
		}
	}
	cells, err := m.History("nb")
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cells {
		for _, o := range c.Outputs {
			switch o.Type {
			case session.OutputStream:
				fmt.Printf("[%d] %s %s: %q\n", c.ExecutionCount, o.Type, o.Name, o.Text)
			case session.OutputExecuteResult:
				fmt.Printf("[%d] %s: %s\n", c.ExecutionCount, o.Type, o.Data["text/plain"])
			case session.OutputError:
				fmt.Printf("[%d] %s: %s\n", c.ExecutionCount, o.Type, o.Error.Type)
			}
		}
	}
	// Output:
	// [1] stream stdout: "hi\n"
	// [2] execute_result: 42
	// [3] error: ZeroDivisionError
}
