package pyfind_test

import (
	"fmt"
	"os"
	"testing"
)

// fakeLauncherEnv makes the test binary answer as the py launcher does for
// `py -3 … -c "import sys;print(sys.executable)"`: it prints the variable's
// value (platform_windows_test.go copies the binary to py.exe).
const fakeLauncherEnv = "PYFIND_TEST_FAKE_LAUNCHER"

func TestMain(m *testing.M) {
	if exe := os.Getenv(fakeLauncherEnv); exe != "" {
		fmt.Println(exe)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
