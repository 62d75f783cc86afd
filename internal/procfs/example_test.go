//go:build linux

package procfs_test

import (
	"fmt"
	"os"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// A process is named by its pid and start time: a pid reused by another
// process has another start time.
func ExampleAlive() {
	st, err := procfs.ReadStat(os.Getpid())
	if err != nil {
		fmt.Println(err)
		return
	}
	same, _ := procfs.Alive(os.Getpid(), st.StartTime)
	reused, _ := procfs.Alive(os.Getpid(), st.StartTime+1)
	fmt.Println(same, reused)
	// Output: true false
}
