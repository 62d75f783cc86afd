package progressfile_test

import (
	"fmt"
	"log"
	"os"

	"github.com/pyexec-mcp/pyexec/internal/progressfile"
)

// A run's progress file; the test itself plays the script.
func Example() {
	pf, err := progressfile.Create("", func(r progressfile.Report) {
		fmt.Printf("%g of %g: %s\n", r.Current, r.Total, r.Message) // from the follower
	})
	if err != nil {
		log.Fatal(err)
	}
	// The script, which finds the path in $PYEXEC_PROGRESS_FILE:
	f, err := os.OpenFile(pf.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, `{"current": 5, "total": 10, "message": "epoch 5/10"}`)
	f.Close()
	// After the run: read what the last poll missed, stop, remove the file.
	if err := pf.Close(); err != nil {
		log.Fatal(err)
	}
	// Output: 5 of 10: epoch 5/10
}
