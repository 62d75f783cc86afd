//go:build !linux

package cgroup

import (
	"errors"
	"fmt"
)

// Off Linux there are no cgroups: nothing is ever valid, and there is
// nothing to kill, remove or sweep.

// Validate refuses every path here.
func Validate(dir string) error {
	return fmt.Errorf("%w: %q: %w", ErrInvalid, dir, errors.ErrUnsupported)
}

// Kill does nothing here.
func Kill(...string) error { return nil }

// Remove does nothing here.
func Remove(...string) error { return nil }

// Sweep does nothing here.
func Sweep(...string) ([]string, error) { return nil, nil }
