//go:build !windows

package envload

// windowsDevice is "" off Windows: devices live under /dev (kernelDir).
func windowsDevice(string) string { return "" }
