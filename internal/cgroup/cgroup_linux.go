package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// The f_type of cgroup file systems (linux/magic.h).
const (
	cgroupSuperMagic  = 0x27e0eb
	cgroup2SuperMagic = 0x63677270
)

// Validate checks that dir may be acted on: a clean absolute path below Root
// without symbolic links, whose base name is a pyexec cgroup name, that is a
// directory on a cgroup file system. A cgroup that no longer exists is an
// error wrapping fs.ErrNotExist; any other refusal wraps ErrInvalid.
func Validate(dir string) error {
	if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir || !strings.HasPrefix(dir, Root+"/") {
		return fmt.Errorf("%w: %q is not a clean absolute path below %s", ErrInvalid, dir, Root)
	}
	if _, ok := ParseName(filepath.Base(dir)); !ok {
		return fmt.Errorf("%w: %q is not named %s<pid>-<start>-<random>", ErrInvalid, dir, Prefix)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	if real != dir {
		return fmt.Errorf("%w: %q resolves to %q", ErrInvalid, dir, real)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("cgroup: statfs %s: %w", dir, err)
	}
	if t := int64(st.Type); t != cgroupSuperMagic && t != cgroup2SuperMagic { //nolint:unconvert // Type's width varies by architecture
		return fmt.Errorf("%w: %q is not on a cgroup file system", ErrInvalid, dir)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: %q is not a directory", ErrInvalid, dir)
	}
	return nil
}

// Kill sends SIGKILL to every process in each of dirs until none is left
// that was not already killed (a dying process may linger as a zombie until
// its parent reaps it). cgroup.kill (v2, Linux 5.14) does it in one step;
// otherwise the member list is read again until it holds nothing new, which
// ends because every pass kills what forked since the last one and a pids
// limit, when set, bounds them. A cgroup that is gone is not an error. Kill
// gives up on a cgroup still forking after KillTimeout.
func Kill(dirs ...string) error {
	var errs []error
	for _, d := range dirs {
		if err := WriteFile(filepath.Join(d, "cgroup.kill"), "1"); err == nil {
			continue
		}
		if err := killMembers(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func killMembers(dir string) error {
	killed := map[int]bool{}
	deadline := time.Now().Add(KillTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		pids, err := members(dir)
		if err != nil {
			return err
		}
		fresh := 0
		for _, pid := range pids {
			if !killed[pid] {
				fresh++
				killed[pid] = true
				_ = syscall.Kill(pid, syscall.SIGKILL) // ESRCH: gone already
			}
		}
		if fresh == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup: processes in %s still forking after %v of SIGKILL", dir, KillTimeout)
		}
		time.Sleep(wait) // back-off between passes, not a wait for a condition
	}
}

// members lists the pids in dir's cgroup.procs; none for a cgroup that is
// gone.
func members(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cgroup: list members: %w", err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out, nil
}

// Remove kills what is left in each of dirs and removes them, waiting (at
// most KillTimeout each) for the kernel to let go of exiting members: rmdir
// fails with EBUSY until the last one is gone. A cgroup that is gone already
// is not an error.
func Remove(dirs ...string) error {
	var errs []error
	for _, d := range dirs {
		deadline := time.Now().Add(KillTimeout)
		for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
			err := syscall.Rmdir(d)
			if err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("cgroup: remove %s: %w", d, err))
				break
			}
			_ = killMembers(d)
			time.Sleep(wait) // back-off between attempts
		}
	}
	return errors.Join(errs...)
}

// Sweep kills the members of, and removes, every pyexec cgroup directly
// below one of parents whose owner is dead: no process has its pid, the
// process that has it has exited (a zombie, as the job store counts it too),
// or it started at another time (the pid was reused). A
// cgroup whose owner lives, or whose owner's liveness cannot be read, is
// never touched. It returns the directories it removed; the error joins
// what failed, and the sweep goes on past each failure.
func Sweep(parents ...string) ([]string, error) {
	var removed []string
	var errs []error
	seen := map[string]bool{}
	for _, parent := range parents {
		if parent == "" || seen[parent] {
			continue
		}
		seen[parent] = true
		entries, err := os.ReadDir(parent)
		if err != nil {
			errs = append(errs, fmt.Errorf("cgroup: sweep %s: %w", parent, err))
			continue
		}
		for _, e := range entries {
			o, ok := ParseName(e.Name())
			if !ok || !e.IsDir() || ownerAlive(o) {
				continue
			}
			dir := filepath.Join(parent, e.Name())
			if err := Validate(dir); err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
				continue
			}
			if err := errors.Join(Kill(dir), Remove(dir)); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, dir)
		}
	}
	return removed, errors.Join(errs...)
}

// ownerAlive reports whether o may still run: its pid is live and, when the
// name records it, has o's start time (else the pid was reused). When it
// cannot tell, it answers yes: a live server's cgroup must never be swept.
func ownerAlive(o Owner) bool {
	alive, err := procfs.Alive(o.PID, o.StartTime)
	return alive || err != nil
}

// WriteFile writes value to an existing cgroup control file (never
// creating one: a missing file is a missing controller, not ours to make).
func WriteFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
