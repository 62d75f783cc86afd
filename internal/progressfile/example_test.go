package progressfile_test

import (
	"fmt"
	"os"

	"github.com/pyexec-mcp/pyexec/internal/progressfile"
)

// A script (here the test itself) appends reports; Close delivers the last
// one even if the follower has not polled since.
func Example() {
	pf, err := progressfile.Create("", func(r progressfile.Report) {
		fmt.Printf("%g of %g: %s\n", r.Current, r.Total, r.Message)
	})
	if err != nil {
		panic(err)
	}
	f, err := os.OpenFile(pf.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(f, `{"current": 5, "total": 10, "message": "epoch 5/10"}`)
	f.Close()
	pf.Close()
	// Output: 5 of 10: epoch 5/10
}
