package autosave_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pyexec-mcp/pyexec/internal/autosave"
)

func Example() {
	dataDir, err := os.MkdirTemp("", "autosave-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dataDir)
	s, err := autosave.New(&autosave.Options{Dir: filepath.Join(dataDir, "autosaved")})
	if err != nil {
		log.Fatal(err)
	}
	// The caller redacts secrets from the parameters first.
	name, err := s.Save("run_script_in_dir", "print(6*7)\n", map[string]any{"use_uv": false})
	if err != nil {
		log.Fatal(err)
	}
	sc, err := s.Read(name)
	if err != nil {
		log.Fatal(err)
	}
	meta := sc.Params.(map[string]any) // the sidecar
	fmt.Print(sc.Content)
	fmt.Println(meta["tool"], meta["params"])
	// Output:
	// print(6*7)
	// run_script_in_dir map[use_uv:false]
}
