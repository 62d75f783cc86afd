package sandbox

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// The signals of the CPU and file size limits.
const (
	sigXCPU = int(syscall.SIGXCPU)
	sigXFSZ = int(syscall.SIGXFSZ)
)

//go:embed wrapper.py
var wrapperSource string

// prepare is Prepare past the checks that need no machine.
func prepare(cmd *exec.Cmd, p *Policy, opts *Options, python string) (_ *Box, err error) {
	h := currentHost()
	if err := h.check(p); err != nil {
		return nil, err
	}
	b := &Box{policy: *p, enabled: true, cmd: cmd}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	var args []string
	if p.MemoryBytes > 0 || p.MaxProcesses > 0 {
		if b.cg, err = h.newCgroups(p); err != nil {
			return nil, err
		}
		args = append(args, b.cg.joinArgs()...)
	}
	if p.CPUSeconds > 0 {
		args = append(args, "cpu="+strconv.Itoa(p.CPUSeconds))
	}
	if p.MaxFileBytes > 0 {
		args = append(args, "fsize="+strconv.FormatInt(p.MaxFileBytes, 10))
	}
	if p.NoNetwork {
		args = append(args, "net")
	}
	// A root payload without capabilities could still write sysctls,
	// /proc/sysrq-trigger and cgroup files (and so leave its limits):
	// whenever this process may make a mount namespace, the run gets one
	// with those read-only, requested or not. Without that privilege the
	// payload cannot write them anyway.
	harden := h.ns.mountNS == nil && h.ns.mountSetattr == nil
	if p.ReadOnlyFS || p.PIDNamespace || harden {
		args = append(args, "mnt", "msa="+strconv.Itoa(h.ns.mountSetattrNr))
	}
	if harden && !p.ReadOnlyFS {
		args = append(args, "sys")
	}
	if p.PIDNamespace {
		args = append(args, "pid")
	}
	env := cmd.Env
	if env == nil && (p.EnvAllowList != nil || p.ReadOnlyFS) {
		env = os.Environ() // what exec would have used
	}
	env = FilterEnv(env, p.EnvAllowList, opts.ExplicitEnv)
	if p.ReadOnlyFS {
		dirs, err := writableDirs(p.WritableDirs)
		if err != nil {
			return nil, err
		}
		if b.tmp, err = os.MkdirTemp(opts.TempDir, "pyexec-sandbox-"); err != nil {
			return nil, fmt.Errorf("sandbox: private temporary directory: %w", err)
		}
		dirs = append(dirs, b.tmp)
		args = append(args, "ro")
		for _, d := range dirs {
			args = append(args, "w="+d)
		}
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			args = append(args, "shm")
		}
		env = setEnv(env, "TMPDIR", b.tmp)
		env = setEnv(env, "TMP", b.tmp)
		env = setEnv(env, "TEMP", b.tmp)
	}

	if b.statusR, b.statusW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("sandbox: status pipe: %w", err)
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, b.statusW)
	argv := make([]string, 0, 8+len(args)+len(cmd.Args))
	argv = append(argv, python, "-I", "-S", "-c", wrapperSource, strconv.Itoa(fd))
	argv = append(argv, args...)
	argv = append(argv, "--", cmd.Path)
	if len(cmd.Args) > 1 {
		argv = append(argv, cmd.Args[1:]...)
	}
	cmd.Path, cmd.Args, cmd.Env = python, argv, env
	return b, nil
}

// writableDirs resolves the directories that stay writable, each an
// existing directory, symlinks resolved (a bind mount follows them; the
// list must name what is really mounted). The working directory is not
// among them unless listed: which directories a confined run may change
// is the caller's decision, not the run's choice of a cwd (issue 10: a
// caller-chosen directory outside the workspace was writable).
func writableDirs(extra []string) ([]string, error) {
	var out []string
	add := func(d, what string) error {
		abs, err := filepath.Abs(d)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs)
		}
		if err != nil {
			return fmt.Errorf("%w: %s %q: %v", ErrInvalidPolicy, what, d, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: %s %q is not a directory", ErrInvalidPolicy, what, d)
		}
		if abs == "/" {
			return fmt.Errorf("%w: %s %q is the root directory: nothing would be read-only", ErrInvalidPolicy, what, d)
		}
		if !contains(out, abs) {
			out = append(out, abs)
		}
		return nil
	}
	for _, d := range extra {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("%w: writable_dirs entry %q is not an absolute path", ErrInvalidPolicy, d)
		}
		if err := add(d, "writable_dirs entry"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setEnv sets name in env, replacing any earlier entries.
func setEnv(env []string, name, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			continue
		}
		out = append(out, kv)
	}
	return append(out, name+"="+value)
}

// drainNonBlocking reads what is in the pipe now: os.Pipe's read end is
// non-blocking, so a raw read says EAGAIN when it is empty, and no
// goroutine waits on a writer that may never write.
func drainNonBlocking(f *os.File) []byte {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	var out []byte
	buf := make([]byte, 512)
	_ = rc.Control(func(fd uintptr) {
		for len(out) < 64<<10 {
			n, err := syscall.Read(int(fd), buf)
			if n <= 0 || err != nil {
				return
			}
			out = append(out, buf[:n]...)
		}
	})
	return out
}

// signalNamespaceGroup sends sig to every member of group pgid but the PID
// namespace's relay (the leader) and init (its child), which pass it on to
// the payload themselves (see Box.SignalGroup). It reports false when the
// group cannot be listed, for the caller to signal the whole group.
func signalNamespaceGroup(pgid int, sig syscall.Signal) bool {
	members, err := procfs.Group(pgid)
	if err != nil {
		return false
	}
	for _, m := range members {
		if m.PID != pgid && m.PPID != pgid { // not the relay, not the init
			_ = syscall.Kill(m.PID, sig) // ESRCH: gone since the scan
		}
	}
	return true
}
