package executor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/filelock"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
)

// DefaultEnvCacheMaxBytes caps the environment cache before LRU eviction.
const DefaultEnvCacheMaxBytes = 4 << 30

// envMarker is written last into a built environment; an environment
// directory without it is half-built (its builder died) and is rebuilt.
const envMarker = "pyexec-env.json"

// envInfo is the content of envMarker.
type envInfo struct {
	Python    string    `json:"python"`    // base interpreter
	Requested []string  `json:"requested"` // requirements installed
	Installed []string  `json:"installed"` // name==version of every distribution, as installed
	Bytes     int64     `json:"bytes"`
	BuiltAt   time.Time `json:"built_at"`
}

// environment is a ready virtual environment held in use (shared lock) until
// release is called.
type environment struct {
	dir     string
	python  string
	info    envInfo
	created bool
	release func()
}

// envCache materialises one virtual environment per (interpreter, pin set)
// under dir, shared by every process that uses the same dir:
//
//   - <key>/            the environment, renamed into place when complete
//   - <key>.lock        flock: shared while a run uses the environment,
//     exclusive while it is built or evicted
//   - .tmp-<key>-*      a build in progress (or left by a killed builder)
//
// Warm runs take the shared lock, check the marker and exec the
// environment's interpreter: no uv process at all.
type envCache struct {
	dir      string
	maxBytes int64
	e        *Executor
}

// envKey covers everything that decides an environment's content: the
// interpreter, the requirements, and the plan's key (the server's uv
// settings and index options, and whether builds were allowed and where).
func envKey(python string, reqs []string, planKey string) string {
	h := sha256.New()
	fmt.Fprintf(h, "v2\x00%s\x00%s\x00%s", python, strings.Join(reqs, "\n"), planKey)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// get returns the environment for reqs, building it if needed. complete
// says reqs is a full resolution (every distribution pinned, from uv pip
// compile), so it is installed without dependency resolution and is itself
// the installed set; otherwise (a user's name==version set) dependencies are
// resolved at install and the installed set is read back.
func (c *envCache) get(ctx context.Context, plan *installPlan, in Interpreter, reqs []string, complete bool) (*environment, error) {
	reqs = append([]string(nil), reqs...)
	sort.Strings(reqs)
	key := envKey(in.Path, reqs, plan.key(c.e.opts.UVArgs))
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("executor: environment cache %s: %w", c.dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(c.dir, key+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("executor: environment cache lock: %w", err)
	}
	final := filepath.Join(c.dir, key)
	created := false
	for {
		if err := waitLock(ctx, lock, false); err != nil {
			lock.Close()
			return nil, err
		}
		if info, err := readEnvInfo(final); err == nil {
			now := time.Now()
			_ = os.Chtimes(filepath.Join(final, envMarker), now, now) // LRU clock
			return &environment{dir: final, python: pyfind.VenvPython(final), info: info, created: created,
				release: func() { lock.Close() }}, nil
		}
		// Not built (or half-built): build under the exclusive lock. The
		// shared lock is dropped first: two holders upgrading at once would
		// wait for each other forever.
		_ = filelock.Unlock(lock)
		if err := waitLock(ctx, lock, true); err != nil {
			lock.Close()
			return nil, err
		}
		if _, err := readEnvInfo(final); err != nil {
			if err := c.build(ctx, plan, in, reqs, complete, key, final); err != nil {
				lock.Close()
				return nil, err
			}
			created = true
		}
		// Release and take the shared lock again (the loop re-reads the
		// marker: an evictor may have been quicker).
		_ = filelock.Unlock(lock)
	}
}

// waitLock takes lock, shared or exclusive, retrying until ctx ends
// (another process builds the environment meanwhile).
func waitLock(ctx context.Context, f *os.File, exclusive bool) error {
	for {
		ok, err := filelock.TryLock(f, exclusive)
		if err != nil {
			return fmt.Errorf("executor: environment cache: %w", err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for environment lock: %v", ErrCancelled, context.Cause(ctx))
		case <-time.After(20 * time.Millisecond): // another process builds it
		}
	}
}

func readEnvInfo(dir string) (envInfo, error) {
	var info envInfo
	b, err := os.ReadFile(filepath.Join(dir, envMarker))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, err
	}
	if _, err := os.Stat(pyfind.VenvPython(dir)); err != nil {
		return info, err
	}
	return info, nil
}

// build creates the environment in a temporary directory and renames it into
// place. The caller holds the key's exclusive lock, so leftovers of an
// earlier, killed build of this key can be removed safely.
func (c *envCache) build(ctx context.Context, plan *installPlan, in Interpreter, reqs []string, complete bool, key, final string) error {
	old, _ := filepath.Glob(filepath.Join(c.dir, ".tmp-"+key+"-*"))
	for _, o := range old {
		_ = os.RemoveAll(o)
	}
	_ = os.RemoveAll(final) // half-built: no marker
	tmp, err := os.MkdirTemp(c.dir, ".tmp-"+key+"-")
	if err != nil {
		return fmt.Errorf("executor: environment cache: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	cancelled := func(err error) error {
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("%w: %v", ErrCancelled, context.Cause(ctx))
		}
		return err
	}
	// --relocatable: entry-point scripts find their interpreter relative to
	// themselves, so the rename into place does not break them. Making a
	// venv runs no package code: it is never confined.
	_, _, err = uvcmd.Run(ctx, uvcmd.Cmd{UV: plan.uv, Env: plan.env, Grace: c.e.opts.Grace,
		Args: []string{"venv", "--quiet", "--no-config", "--relocatable", "--python", in.Path, tmp}})
	if err := cancelled(err); err != nil {
		return fmt.Errorf("executor: create environment: %w", err)
	}
	installed := reqs
	if len(reqs) > 0 {
		// --python <base> --prefix <env>, not --python <env>/bin/python: uv
		// would query the new environment's interpreter first (~50 ms, a
		// new path is never in its cache); the base's answer is cached and
		// the same but for the prefix. Scripts then name the base
		// interpreter, which relocatableScripts repairs.
		args := append([]string{"pip", "install", "--quiet", "--no-config", "--python", in.Path, "--prefix", tmp}, c.e.opts.UVArgs...)
		if complete {
			args = append(args, "--no-deps")
		}
		if _, err := c.e.uvRun(ctx, plan, append(args, reqs...), "", tmp); err != nil {
			if err := cancelled(err); errors.Is(err, ErrCancelled) {
				return err
			}
			if re := refusal(err); re != nil {
				return re
			}
			if ie := c.e.unreachable(err, plan, reqs); ie != nil {
				return ie
			}
			return fmt.Errorf("%w: %v", ErrResolution, err)
		}
		if err := relocatableScripts(pyfind.VenvBin(tmp), in.Path); err != nil {
			return fmt.Errorf("executor: environment cache: %w", err)
		}
		if !complete {
			// What is installed, exactly, is what the run reports.
			if installed, err = installedDists(tmp); err != nil {
				return fmt.Errorf("executor: list installed distributions: %w", err)
			}
		}
	}
	info := envInfo{Python: in.Path, Requested: reqs, Installed: installed, Bytes: dirSize(tmp), BuiltAt: time.Now().UTC()}
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(tmp, envMarker), b, 0o600); err != nil {
		return fmt.Errorf("executor: environment cache: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("executor: environment cache: %w", err)
	}
	ok = true
	c.evict(key)
	return nil
}

// relocatableShebang is the start uv gives scripts of a --relocatable
// environment: a shell trampoline that runs the python next to the script,
// wherever the environment lives.
const relocatableShebang = "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/'python' \"$0\" \"$@\"\n' '''\n"

// relocatableScripts rewrites the scripts in bin whose first line names the
// base interpreter (as uv writes them for --prefix installs) to use the
// environment's own interpreter, relative to the script.
func relocatableScripts(bin, base string) error {
	entries, err := os.ReadDir(bin)
	if err != nil {
		return err
	}
	want := "#!" + base
	for _, en := range entries {
		if !en.Type().IsRegular() {
			continue
		}
		path := filepath.Join(bin, en.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		first, rest, ok := strings.Cut(string(b), "\n")
		if !ok || strings.TrimRight(first, " \r") != want {
			continue
		}
		fi, err := en.Info()
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(relocatableShebang+rest), fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// installedDists lists the distributions in an environment's site-packages
// as name==version, from their metadata (what `uv pip freeze` reads, without
// starting a process that would query the interpreter).
func installedDists(env string) ([]string, error) {
	metas, err := filepath.Glob(filepath.Join(pyfind.SitePackagesGlob(env), "*.dist-info", "METADATA"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range metas {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		var name, version string
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" {
				break // end of the headers
			}
			if v, ok := strings.CutPrefix(line, "Name: "); ok && name == "" {
				name = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "Version: "); ok && version == "" {
				version = strings.TrimSpace(v)
			}
		}
		if name == "" || version == "" {
			return nil, fmt.Errorf("%s has no Name or Version", m)
		}
		out = append(out, name+"=="+version)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out, nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// evict removes least recently used environments until the cache fits its
// cap. An environment in use (shared lock held) is never removed; keep is
// the one just built.
func (c *envCache) evict(keep string) {
	type entry struct {
		key  string
		used time.Time
		size int64
	}
	var all []entry
	var total int64
	dirs, _ := os.ReadDir(c.dir)
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		info, err := readEnvInfo(filepath.Join(c.dir, d.Name()))
		if err != nil {
			continue // half-built or being built: its builder owns it
		}
		fi, err := os.Stat(filepath.Join(c.dir, d.Name(), envMarker))
		if err != nil {
			continue
		}
		all = append(all, entry{d.Name(), fi.ModTime(), info.Bytes})
		total += info.Bytes
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, en := range all {
		if total <= c.maxBytes {
			return
		}
		if en.key == keep {
			continue
		}
		if c.remove(en.key) {
			total -= en.size
		}
	}
}

// remove deletes one environment if nobody uses it.
func (c *envCache) remove(key string) bool {
	lock, err := os.OpenFile(filepath.Join(c.dir, key+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return false
	}
	defer lock.Close()
	if ok, err := filelock.TryLock(lock, true); err != nil || !ok {
		return false // in use
	}
	// Remove the marker first: a crash mid-removal leaves a half-built
	// directory, which the next user rebuilds.
	dir := filepath.Join(c.dir, key)
	if err := os.Remove(filepath.Join(dir, envMarker)); err != nil {
		return false
	}
	_ = os.RemoveAll(dir)
	return true
}
