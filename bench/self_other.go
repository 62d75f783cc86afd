//go:build !linux

package bench

// SelfPeakRSS returns ErrUnsupported: only Linux exposes VmHWM.
func SelfPeakRSS() (int64, error) { return 0, ErrUnsupported }
