package testenv

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// RunTests runs a package's tests for its TestMain and returns the exit
// code: after the tests it stops the package's shared PostgreSQL server
// (RequirePostgres), whose waiter is a goroutine, and then, if every test
// passed, fails the run when a goroutine is left behind (goleak): every
// goroutine a package starts must end.
func RunTests(m *testing.M) int {
	code := m.Run()
	if err := StopPostgres(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}
