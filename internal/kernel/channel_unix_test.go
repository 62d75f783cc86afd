//go:build unix

package kernel

// channelHelperEnv is set only by the Windows test of passProtocol.
const channelHelperEnv = "PYEXEC_KERNEL_TEST_CHANNEL"

func channelHelper() int { return 2 }
