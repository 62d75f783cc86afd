package autosave_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pyexec-mcp/pyexec/internal/autosave"
)

func Example() {
	dir, _ := os.MkdirTemp("", "autosave-example-")
	defer os.RemoveAll(dir)
	s, err := autosave.New(&autosave.Options{Dir: filepath.Join(dir, "autosaved"), Keep: 10})
	if err != nil {
		panic(err)
	}
	name, err := s.Save("run_script_in_dir", "print(6*7)\n", map[string]any{"use_uv": false})
	if err != nil {
		panic(err)
	}
	sc, err := s.Read(name)
	if err != nil {
		panic(err)
	}
	meta := sc.Params.(map[string]any)
	fmt.Print(sc.Content)
	fmt.Println(meta["tool"], meta["params"])
	// Output:
	// print(6*7)
	// run_script_in_dir map[use_uv:false]
}
