package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/pyexec-mcp/pyexec/session"
)

// Example runs cells in one session; variables survive between calls. It
// needs python3 on PATH, so go test compiles it but does not run it.
func Example() {
	m, err := session.NewManager(&session.Options{Python: "python3", WorkspaceDir: "./workspace"})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	if _, err := m.Execute(ctx, "default", "import math\nr = 2", 30*time.Second); err != nil {
		log.Fatal(err)
	}
	res, err := m.Execute(ctx, "default", "math.pi * r**2", 30*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Value)
	// 12.566370614359172
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
