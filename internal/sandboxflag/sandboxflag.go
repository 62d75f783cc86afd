package sandboxflag

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pyexec-mcp/pyexec/sandbox"
)

// Settings are the parsed flags.
type Settings struct {
	// Policy is the sandbox every confined path runs under; it asks for
	// nothing when no flag was given.
	Policy sandbox.Policy
	// AllowDirectReferences and AllowSourceBuilds lift the rules of
	// confined installs (executor.Options and session.Options have the
	// same fields).
	AllowDirectReferences bool
	AllowSourceBuilds     bool
}

// Flags holds the flags Register defined until Settings reads them. The
// zero value is not usable; it is not safe for concurrent use.
type Flags struct {
	memMB, cpuSec, maxProcs, fileMB, envAllow, writable string
	s                                                   Settings
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Register defines the confinement flags on fs. what names what they
// confine in the help texts, e.g. "script runs and session kernels".
func Register(fs *flag.FlagSet, what string) *Flags {
	f := &Flags{}
	p := &f.s.Policy
	fs.StringVar(&f.memMB, "memory-limit-mb", env("PYEXEC_MEMORY_LIMIT_MB", ""), "confine "+what+": memory of each one's process tree in MiB; for script runs also the most a call may ask for (env PYEXEC_MEMORY_LIMIT_MB; docs/isolation.md)")
	fs.StringVar(&f.cpuSec, "cpu-limit-seconds", env("PYEXEC_CPU_LIMIT_SECONDS", ""), "CPU seconds per process of "+what+"; a session kernel's count over all its cells (env PYEXEC_CPU_LIMIT_SECONDS)")
	fs.StringVar(&f.maxProcs, "max-processes", env("PYEXEC_MAX_PROCESSES", ""), "processes and threads each of "+what+" may have at once (env PYEXEC_MAX_PROCESSES)")
	fs.StringVar(&f.fileMB, "max-file-mb", env("PYEXEC_MAX_FILE_MB", ""), "largest file "+what+" may write, in MiB (env PYEXEC_MAX_FILE_MB)")
	fs.BoolVar(&p.NoNetwork, "no-network", env("PYEXEC_NO_NETWORK", "") == "1", what+" run without network access (env PYEXEC_NO_NETWORK=1)")
	fs.BoolVar(&p.ReadOnlyFS, "read-only-fs", env("PYEXEC_READ_ONLY_FS", "") == "1", what+" see a read-only file system but for the workspace, -writable-dirs and a private temp directory; a directory outside them is a read-only working directory (env PYEXEC_READ_ONLY_FS=1)")
	fs.StringVar(&f.writable, "writable-dirs", env("PYEXEC_WRITABLE_DIRS", ""), "with -read-only-fs, more directories "+what+" may write to, comma-separated absolute paths; none may contain the data directory (env PYEXEC_WRITABLE_DIRS)")
	fs.BoolVar(&f.s.AllowDirectReferences, "allow-direct-references", env("PYEXEC_ALLOW_DIRECT_REFERENCES", "") == "1", "with any sandbox switch on, still install requirements given as URLs, paths or VCS addresses (env PYEXEC_ALLOW_DIRECT_REFERENCES=1; docs/isolation.md)")
	fs.BoolVar(&f.s.AllowSourceBuilds, "allow-source-builds", env("PYEXEC_ALLOW_SOURCE_BUILDS", "") == "1", "with any sandbox switch on, still build source distributions, inside the sandbox of the run or session (env PYEXEC_ALLOW_SOURCE_BUILDS=1; docs/isolation.md)")
	fs.BoolVar(&p.PIDNamespace, "pid-namespace", env("PYEXEC_PID_NAMESPACE", "") == "1", what+" run in their own PID namespace (env PYEXEC_PID_NAMESPACE=1)")
	fs.StringVar(&f.envAllow, "env-allow-list", env("PYEXEC_ENV_ALLOW_LIST", ""), what+" see only these server environment variables, comma-separated, or \"default\" for a safe set (PATH, HOME, LANG, …); variables given on purpose (a run's env_vars) always pass (env PYEXEC_ENV_ALLOW_LIST)")
	return f
}

// Settings returns what the flags say; call it after the flag set was
// parsed. A malformed number is an error naming the flag.
func (f *Flags) Settings() (Settings, error) {
	s := f.s
	var errs []error
	atoi := func(v, name string) int {
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("-%s %q: give an integer", name, v))
		}
		return n
	}
	s.Policy.MemoryBytes = int64(atoi(f.memMB, "memory-limit-mb")) << 20
	s.Policy.CPUSeconds = atoi(f.cpuSec, "cpu-limit-seconds")
	s.Policy.MaxProcesses = atoi(f.maxProcs, "max-processes")
	s.Policy.MaxFileBytes = int64(atoi(f.fileMB, "max-file-mb")) << 20
	s.Policy.WritableDirs = SplitList(f.writable)
	switch f.envAllow {
	case "":
	case "default":
		s.Policy.EnvAllowList = sandbox.DefaultEnvAllowList()
	default:
		s.Policy.EnvAllowList = SplitList(f.envAllow)
	}
	return s, errors.Join(errs...)
}

// SplitList splits a comma-separated flag value, dropping empty items and
// the spaces around each; the example servers read every list flag with it.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
