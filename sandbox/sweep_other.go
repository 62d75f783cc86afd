//go:build !linux

package sandbox

func (s *cgroupSet) paths() []string { return nil }

// SweepCgroups does nothing off Linux: no Box ever has cgroups here.
func SweepCgroups() (int, error) { return 0, nil }
