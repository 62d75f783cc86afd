//go:build !linux

package envload

import "os"

// kernelFS reports no kernel file systems outside Linux: the path rule
// (/proc, /dev, /sys) and the regular-file rule are what apply there.
func kernelFS(*os.File) (string, error) { return "", nil }
