package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Namespace flags (the same on every Linux architecture).
const (
	cloneNewNS  = syscall.CLONE_NEWNS
	cloneNewPID = syscall.CLONE_NEWPID
	cloneNewNet = syscall.CLONE_NEWNET
)

// nsFacts is what the kernel lets this process do, probed once.
type nsFacts struct {
	mountNS, pidNS, netNS error // unshare of each namespace kind
	mountSetattr          error // mount_setattr(2) (Linux 5.12)
	mountSetattrNr        int   // its syscall number here, 0 if unknown
}

// probeNamespaces tries each unshare on a throwaway OS thread: the thread
// is locked and never unlocked, so the runtime ends it with the goroutine
// and nothing else ever runs in the namespaces it entered. It tries the
// very call the wrapper makes, so seccomp filters and missing capabilities
// show up here, as a clear error, rather than at run time.
func probeNamespaces() nsFacts {
	var f nsFacts
	done := make(chan struct{}) // unbuffered: the goroutine's results are f's fields
	go func() {
		runtime.LockOSThread() // no Unlock: this thread must die with us
		f.mountNS = syscall.Unshare(cloneNewNS)
		f.pidNS = syscall.Unshare(cloneNewPID)
		f.netNS = syscall.Unshare(cloneNewNet)
		close(done)
	}()
	<-done
	f.mountSetattrNr = mountSetattrNr()
	if f.mountSetattrNr == 0 {
		f.mountSetattr = fmt.Errorf("no known mount_setattr syscall number on %s", runtime.GOARCH)
		return f
	}
	// Size 0 is invalid: a kernel that has the call says EINVAL.
	empty := []byte{0}
	_, _, errno := syscall.Syscall6(uintptr(f.mountSetattrNr), uintptr(^uint(0)), uintptr(unsafe.Pointer(&empty[0])), 0, 0, 0, 0)
	if errno == syscall.ENOSYS {
		f.mountSetattr = errors.New("the kernel has no mount_setattr (Linux 5.12 or newer is needed)")
	}
	return f
}

// mountSetattrNr is mount_setattr's syscall number: 442 in the unified
// table every architecture added since Linux 5.1 shares, offset on MIPS.
func mountSetattrNr() int {
	switch runtime.GOARCH {
	case "amd64", "386", "arm", "arm64", "riscv64", "loong64", "ppc64", "ppc64le", "s390x":
		return 442
	case "mips", "mipsle":
		return 4442
	case "mips64", "mips64le":
		return 5442
	}
	return 0
}

// namespaces caches the probe: a process's capabilities and its kernel do
// not change while it runs, and probing per run would create a throwaway
// network namespace for each. This is the package's only global; it is
// written once.
var namespaces = sync.OnceValue(probeNamespaces)

// host is what Check decides from: the namespace facts and where this
// process's cgroups are. Tests build their own.
type host struct {
	ns  nsFacts
	v1  map[string]string // controller → our cgroup directory in its v1 hierarchy
	v2  string            // our cgroup directory in the unified hierarchy, or ""
	v2c []string          // controllers available in v2 (cgroup.controllers)
	// writable reports whether a cgroup directory can hold child cgroups.
	writable func(dir string) error
}

func currentHost() *host {
	h := &host{ns: namespaces(), writable: func(dir string) error { return syscall.Access(dir, 2 /* W_OK */) }}
	mi, err1 := os.ReadFile("/proc/self/mountinfo")
	cg, err2 := os.ReadFile("/proc/self/cgroup")
	if err1 == nil && err2 == nil {
		h.v1, h.v2 = cgroupDirs(parseMountInfo(string(mi)), parseCgroupFile(string(cg)))
	}
	if h.v2 != "" {
		if b, err := os.ReadFile(filepath.Join(h.v2, "cgroup.controllers")); err == nil {
			h.v2c = strings.Fields(string(b))
		}
	}
	return h
}

// Check reports whether this machine can enforce every switch p turns on.
// It returns nil for a nil or empty policy; an error matching
// ErrInvalidPolicy for a policy that makes no sense; otherwise, for each
// switch it cannot enforce, an [*UnavailableError] naming the switch and
// the reason (joined with errors.Join when there are several), e.g.
// "sandbox: no_network needs a new network namespace (unshare
// CLONE_NEWNET, which needs CAP_SYS_ADMIN): operation not permitted".
// Check is safe for concurrent use; [Prepare] calls it.
func Check(p *Policy) error {
	if !p.Enabled() {
		return nil
	}
	if err := p.validate(); err != nil {
		return err
	}
	return currentHost().check(p)
}

func (h *host) check(p *Policy) error {
	var errs []error
	add := func(sw, needs string, err error) {
		if err != nil {
			errs = append(errs, &UnavailableError{Switch: sw, Needs: needs, Err: err})
		}
	}
	if p.MemoryBytes > 0 {
		_, _, err := h.cgroupParent("memory")
		add(switchMemory, "a memory cgroup this process can create child cgroups in (cgroup v2 memory controller, or the v1 memory hierarchy)", err)
	}
	if p.MaxProcesses > 0 {
		_, _, err := h.cgroupParent("pids")
		add(switchProcesses, "a pids cgroup this process can create child cgroups in (cgroup v2 pids controller, or the v1 pids hierarchy)", err)
	}
	if p.NoNetwork {
		add(switchNoNetwork, "a new network namespace (unshare CLONE_NEWNET, which needs CAP_SYS_ADMIN)", h.ns.netNS)
	}
	if p.ReadOnlyFS {
		add(switchReadOnlyFS, "a new mount namespace (unshare CLONE_NEWNS, which needs CAP_SYS_ADMIN)", h.ns.mountNS)
		add(switchReadOnlyFS, "recursive read-only bind mounts (mount_setattr)", h.ns.mountSetattr)
	}
	if p.PIDNamespace {
		add(switchPIDNS, "a new PID namespace (unshare CLONE_NEWPID, which needs CAP_SYS_ADMIN)", h.ns.pidNS)
		add(switchPIDNS, "a new mount namespace for its /proc (unshare CLONE_NEWNS, which needs CAP_SYS_ADMIN)", h.ns.mountNS)
	}
	return errors.Join(errs...)
}

// cgroupParent returns the directory to create a run's cgroup in for
// controller, and whether it is in the unified (v2) hierarchy, which is
// preferred when it has the controller.
func (h *host) cgroupParent(controller string) (string, bool, error) {
	dir, v2 := "", false
	switch {
	case h.v2 != "" && contains(h.v2c, controller):
		dir, v2 = h.v2, true
	case h.v1[controller] != "":
		dir = h.v1[controller]
	default:
		return "", false, fmt.Errorf("no cgroup hierarchy with the %s controller is mounted", controller)
	}
	if err := h.writable(dir); err != nil {
		return "", false, fmt.Errorf("%s: %w", dir, err)
	}
	return dir, v2, nil
}
