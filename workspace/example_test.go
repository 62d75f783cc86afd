package workspace_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pyexec-mcp/pyexec/workspace"
)

func Example() {
	dir, err := os.MkdirTemp("", "workspace-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ws, err := workspace.Open(filepath.Join(dir, "ws"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()

	if _, err := ws.Write("data/in.csv", []byte("a,b\n1,2\n"), nil); err != nil {
		log.Fatal(err)
	}
	data, info, err := ws.Read("data/in.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d bytes, text=%v\n", info.Path, len(data), info.IsText) // data/in.csv: 8 bytes, text=true

	_, _, err = ws.Read("../secret")
	fmt.Println(errors.Is(err, workspace.ErrOutside)) // true: ".." climbs out
	fmt.Println(err)
	// Output:
	// data/in.csv: 8 bytes, text=true
	// true
	// workspace: path leads outside the workspace: "../secret" climbs out of the workspace with ".."; use a path inside it
}

func ExampleWorkspace_List() {
	dir, err := os.MkdirTemp("", "workspace-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ws, err := workspace.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()
	for _, name := range []string{"b.txt", "a/x.bin"} {
		if _, err := ws.Write(name, []byte{1, 2, 3}, nil); err != nil {
			log.Fatal(err)
		}
	}
	listing, err := ws.List("", &workspace.ListOptions{Recursive: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range listing.Entries {
		fmt.Println(e.Path, e.Type, e.Size)
	}
	// Output:
	// a dir 0
	// a/x.bin file 3
	// b.txt file 3
}
