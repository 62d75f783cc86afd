package kernel

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// channelHelperEnv makes the test binary play the kernel's side of
// passProtocol (see channelHelper).
const channelHelperEnv = "PYEXEC_KERNEL_TEST_CHANNEL"

// channelHelper opens the handles named in handlesEnv, as kernel.py does
// with msvcrt.open_osfhandle: it echoes one request line in upper case on
// the replies pipe, then reports each interrupt byte as a line.
func channelHelper() int {
	parts := strings.Split(os.Getenv(handlesEnv), ",")
	if len(parts) != 3 {
		fmt.Fprintf(os.Stderr, "%s=%q\n", handlesEnv, os.Getenv(handlesEnv))
		return 2
	}
	var files [3]*os.File
	for i, p := range parts {
		h, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		files[i] = os.NewFile(uintptr(h), "handle "+p)
	}
	line, err := bufio.NewReader(files[0]).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "request:", err)
		return 2
	}
	fmt.Fprint(files[1], strings.ToUpper(line))
	buf := make([]byte, 1)
	for {
		if _, err := files[2].Read(buf); err != nil {
			return 0 // the interrupt pipe closed: done
		}
		fmt.Fprintln(files[1], "interrupted")
	}
}

// TestPassProtocol: the kernel's three pipes reach a child on Windows as
// the handles named in its environment (what kernel.py opens), requests
// and replies flow, and an interrupt arrives as a byte. The Python side
// (kernel.py's protocol_fds and watch_interrupts) needs a Windows Python,
// which CI does not have.
func TestPassProtocol(t *testing.T) {
	t.Parallel()
	reqR, reqW, err := os.Pipe()
	require.NoError(t, err)
	defer reqW.Close()
	respR, respW, err := os.Pipe()
	require.NoError(t, err)
	defer respR.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), channelHelperEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	intW, childEnds, err := passProtocol(cmd, reqR, respW)
	require.NoError(t, err)
	require.Contains(t, cmd.Env[len(cmd.Env)-1], handlesEnv+"=")
	require.NoError(t, cmd.Start())
	closeAll(append([]*os.File{reqR, respW}, childEnds...))

	_, err = reqW.Write([]byte("hello kernel\n"))
	require.NoError(t, err)
	replies := bufio.NewReader(respR)
	line, err := replies.ReadString('\n')
	require.NoError(t, err, stderr.String())
	require.Equal(t, "HELLO KERNEL\n", line)

	k := &Kernel{intW: intW}
	require.NoError(t, k.interrupt())
	line, err = replies.ReadString('\n')
	require.NoError(t, err, stderr.String())
	require.Equal(t, "interrupted\n", line)

	require.NoError(t, intW.Close())
	require.NoError(t, cmd.Wait(), stderr.String())
	_, err = replies.ReadString('\n')
	require.Error(t, err, "the child's reply end was its only other holder: EOF")
}
