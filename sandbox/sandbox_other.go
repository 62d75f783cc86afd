//go:build !linux

package sandbox

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Exit codes that cannot occur: no Box is ever active here.
const (
	sigXCPU = 1 << 30
	sigXFSZ = 1 << 30
)

func drainNonBlocking(*os.File) []byte { return nil }

// signalNamespaceGroup is never called here: no Box is ever enabled.
func signalNamespaceGroup(int, syscall.Signal) bool { return false }

// cgroupSet is empty here: no Box ever has cgroups off Linux.
type cgroupSet struct{}

func (s *cgroupSet) stats() stats  { return stats{} }
func (s *cgroupSet) kill() error   { return nil }
func (s *cgroupSet) remove() error { return nil }

// Check reports whether this machine can enforce p: off Linux it cannot
// enforce any switch, and says so for each one p turns on.
func Check(p *Policy) error {
	if !p.Enabled() {
		return nil
	}
	if err := p.validate(); err != nil {
		return err
	}
	return unsupported(p)
}

func unsupported(p *Policy) error {
	var errs []error
	for _, sw := range p.Switches() {
		errs = append(errs, &UnavailableError{Switch: sw, Needs: "Linux", Err: ErrUnsupported})
	}
	return errors.Join(errs...)
}

func prepare(cmd *exec.Cmd, p *Policy, opts *Options, python string) (*Box, error) {
	return nil, unsupported(p)
}
