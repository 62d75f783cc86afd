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
