//go:build linux

package envload

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readers are the two exported ways a path gets read; every rule must hold
// for both.
var readers = []struct {
	name string
	read func(path string) error
}{
	{"ParseFile", func(path string) error { _, err := ParseFile(path); return err }},
	{"Build", func(path string) error { _, err := Build(&Options{Base: []string{}, File: path}); return err }},
}

// mkfifo makes a FIFO that nobody writes to.
func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo.env")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	return path
}

func symlink(t *testing.T, target string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.Symlink(target, path))
	return path
}

func sizedFile(t *testing.T, size int) string {
	t.Helper()
	// SECRET=s3cr3t… padded: a valid .env file whose value must never show.
	src := []byte("SECRET=s3cr3t" + strings.Repeat("x", size-len("SECRET=s3cr3t\n")) + "\n")
	require.Len(t, src, size)
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, src, 0o600))
	return path
}

// relativeSymlink makes a symlink whose target is a relative path ("../../x")
// to abs.
func relativeSymlink(t *testing.T, abs string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	target := strings.Repeat("../", strings.Count(dir, "/")) + strings.TrimPrefix(abs, "/")
	require.NoError(t, os.Symlink(target, path))
	return path
}

// loop makes a symlink to itself.
func loop(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.Symlink(".env", path))
	return path
}

// relativeTo returns a path to abs relative to the working directory, made
// of "../" steps, so that only resolving it shows where it leads.
func relativeTo(t *testing.T, abs string) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return strings.Repeat("../", strings.Count(wd, "/")) + strings.TrimPrefix(abs, "/")
}

func TestFileRefused(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })

	tests := []struct {
		name    string
		path    string
		want    error
		message string // after `env file "<path>" `
	}{
		{"dev zero", "/dev/zero", ErrFileNotRegular, "is under /dev, which holds kernel interfaces"},
		{"dev null", "/dev/null", ErrFileNotRegular, "is under /dev"},
		{"fifo without writer", mkfifo(t), ErrFileNotRegular, "is a FIFO (named pipe), not a regular file; give a .env file"},
		{"socket", sock, ErrFileNotRegular, "is a socket, not a regular file"},
		{"proc self fd 0", "/proc/self/fd/0", ErrFileNotRegular, "is under /proc"},
		{"proc self environ", "/proc/self/environ", ErrFileNotRegular, "is under /proc"},
		{"proc itself", "/proc", ErrFileNotRegular, "is under /proc"},
		{"uncleaned proc path", "/tmp/../proc/./self/fd/0", ErrFileNotRegular, "is under /proc"},
		{"relative path to proc", relativeTo(t, "/proc/self/environ"), ErrFileNotRegular, "is under /proc"},
		{"sys", "/sys/kernel/mm/transparent_hugepage/enabled", ErrFileNotRegular, "is under /sys"},
		{"symlink to proc self fd 0", symlink(t, "/proc/self/fd/0"), ErrFileNotRegular, "is under /proc"},
		{"symlink to dev zero", symlink(t, "/dev/zero"), ErrFileNotRegular, "is under /dev"},
		{"symlink to symlink to dev zero", symlink(t, symlink(t, "/dev/zero")), ErrFileNotRegular, "is under /dev"},
		{"through a directory symlink to proc", filepath.Join(symlink(t, "/proc"), "self", "environ"), ErrFileNotRegular,
			"is under /proc"},
		{"relative symlink up to proc", relativeSymlink(t, "/proc/self/fd/0"), ErrFileNotRegular, "is under /proc"},
		{"directory", t.TempDir(), ErrFileNotRegular, "is a directory, not a regular file"},
		{"symlink to directory", symlink(t, t.TempDir()), ErrFileNotRegular, "is a directory"},
		{"2 MiB file", sizedFile(t, 2<<20), ErrFileTooLarge,
			"is 2 MiB (2097152 bytes); env files are limited to 1 MiB"},
		{"symlink loop", loop(t), ErrFileUnreadable, "cannot be read: too many levels of symbolic links"},
		{"1 MiB and a byte", sizedFile(t, MaxFileBytes+1), ErrFileTooLarge,
			"is 1.0 MiB (1048577 bytes); env files are limited to 1 MiB"},
	}
	for _, tt := range tests {
		for _, r := range readers {
			t.Run(tt.name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				err := r.read(tt.path)
				require.ErrorIs(t, err, tt.want)
				// The executor names env_file for every file error it knows.
				require.ErrorIs(t, err, ErrFileUnreadable, "wraps ErrFileUnreadable too")
				require.Contains(t, err.Error(), fmt.Sprintf("env file %q %s", tt.path, tt.message))
				require.True(t, strings.HasPrefix(err.Error(), "envload: "), err.Error())
				require.NotContains(t, err.Error(), "s3cr3t", "messages must not quote contents")
			})
		}
	}
}

func TestFileNotFoundIsNotUnreadable(t *testing.T) {
	t.Parallel()
	dangling := symlink(t, "/nonexistent/.env")
	for _, path := range []string{dangling, filepath.Join(t.TempDir(), "missing.env"), ""} {
		for _, r := range readers[:1] { // Build treats File "" as no file
			err := r.read(path)
			require.ErrorIs(t, err, ErrFileNotFound, path)
			require.ErrorIs(t, err, fs.ErrNotExist, path)
			require.NotErrorIs(t, err, ErrFileUnreadable, path)
			require.Contains(t, err.Error(), fmt.Sprintf("env file %q does not exist", path))
		}
	}
	err := readers[1].read(dangling)
	require.ErrorIs(t, err, ErrFileNotFound)
}

func TestFileFIFOReturnsAtOnce(t *testing.T) {
	t.Parallel()
	path := mkfifo(t)
	for _, r := range readers {
		done := make(chan error, 1)
		go func() { done <- r.read(path) }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, ErrFileNotRegular, r.name)
			require.Contains(t, err.Error(), strconv.Quote(path))
		case <-time.After(time.Second):
			// The goroutine stays blocked in open(2); the test binary exits anyway.
			t.Fatalf("%s of a FIFO without a writer did not return within a second", r.name)
		}
	}
}

// TestOpenedFileChecked skips the path checks, as a path swapped after them
// would: the checks on the opened descriptor still refuse, and opening a
// FIFO without a writer does not block.
func TestOpenedFileChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
		want       error
		message    string
	}{
		{"fifo", mkfifo(t), ErrFileNotRegular, "is a FIFO (named pipe), not a regular file"},
		{"dev zero", "/dev/zero", ErrFileNotRegular, "is a character device, not a regular file; give a .env file"},
		{"directory", t.TempDir(), ErrFileNotRegular, "is a directory"},
		{"proc self environ", "/proc/self/environ", ErrFileNotRegular, "is on procfs, a kernel interface"},
		{"sysfs file", "/sys/kernel/mm/transparent_hugepage/enabled", ErrFileNotRegular, "is on sysfs"},
		{"2 MiB file", sizedFile(t, 2<<20), ErrFileTooLarge, "is 2 MiB (2097152 bytes); env files are limited to 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(tt.path); err != nil {
				t.Skipf("%s: %v", tt.path, err)
			}
			done := make(chan error, 1)
			go func() { _, err := readResolved("swapped.env", tt.path); done <- err }()
			select {
			case err := <-done:
				require.ErrorIs(t, err, tt.want)
				require.ErrorIs(t, err, ErrFileUnreadable)
				require.Contains(t, err.Error(), `env file "swapped.env" `+tt.message)
				require.NotContains(t, err.Error(), "s3cr3t")
			case <-time.After(time.Second):
				t.Fatalf("reading %s did not return within a second", tt.path)
			}
		})
	}
}

func TestFileExactlyMaxAccepted(t *testing.T) {
	t.Parallel()
	path := sizedFile(t, MaxFileBytes)
	got, err := ParseFile(path)
	require.NoError(t, err)
	require.Len(t, got["SECRET"], MaxFileBytes-len("SECRET=\n"))

	env, err := Build(&Options{Base: []string{}, File: path})
	require.NoError(t, err)
	require.Len(t, env, 1)
}

func TestFileSymlinkToRegularAccepted(t *testing.T) {
	t.Parallel()
	file := writeEnv(t, "A=1\n")
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	rel := filepath.Join(dir, "sub", "rel.env")
	require.NoError(t, os.Symlink("../abs.env", rel))
	require.NoError(t, os.Symlink(file, filepath.Join(dir, "abs.env")))
	dirLink := filepath.Join(dir, "dirlink")
	require.NoError(t, os.Symlink(filepath.Dir(file), dirLink))
	for _, path := range []string{
		symlink(t, file),
		rel, // relative, then absolute
		filepath.Join(dirLink, ".env"),
		// ".." after a directory link is the link target's parent, as for open(2).
		dirLink + "/../" + filepath.Base(filepath.Dir(file)) + "/.env",
		relativeSymlink(t, file),
	} {
		for _, r := range readers {
			require.NoError(t, r.read(path), "%s %s", r.name, path)
		}
		got, err := ParseFile(path)
		require.NoError(t, err, path)
		require.Equal(t, map[string]string{"A": "1"}, got, path)
	}
}

func TestParseReaderTooLarge(t *testing.T) {
	t.Parallel()
	_, err := Parse(bytes.NewReader(make([]byte, MaxFileBytes+1)))
	require.ErrorIs(t, err, ErrFileTooLarge)
	require.ErrorIs(t, err, ErrFileUnreadable)
	require.Contains(t, err.Error(), "env files are limited to 1 MiB")

	got, err := Parse(strings.NewReader("A=" + strings.Repeat("x", MaxFileBytes-len("A=\n")) + "\n"))
	require.NoError(t, err)
	require.Len(t, got["A"], MaxFileBytes-len("A=\n"))
}

// threads is the number of OS threads of this process.
func threads(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			require.NoError(t, err)
			return n
		}
	}
	require.NoError(t, sc.Err())
	t.Fatal("no Threads: line in /proc/self/status")
	return 0
}

// fifoCalls makes n concurrent calls of read with a FIFO, as n concurrent
// tool calls of a server would, and fails if they do not all return.
func fifoCalls(t *testing.T, read func(string) error, path string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n) // every call sends once, never blocks
	for range n {
		wg.Go(func() { errs <- read(path) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d calls with a FIFO env file did not return within 10s (%d threads now)", n, threads(t))
	}
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, ErrFileNotRegular)
	}
}

// TestFileFIFODoesNotLeakThreads is not parallel: it counts the threads of
// the whole process. A blocking open of a FIFO holds an OS thread per call
// until a writer comes (os.ReadFile: 8 → 38 threads after 30 calls).
// The descriptor case skips the path checks (which refuse a FIFO before
// opening it), so it is the O_NONBLOCK open that must not hold a thread.
func TestFileFIFODoesNotLeakThreads(t *testing.T) {
	path := mkfifo(t)
	for _, tt := range []struct {
		name string
		read func(string) error
	}{
		{"Build", readers[1].read},
		{"descriptor", func(p string) error { _, err := readResolved(p, p); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A first round lets the runtime start the threads that 30
			// concurrent syscalls need at all; idle threads are then reused,
			// while a leak would hold one more per call.
			t.Logf("threads at the start: %d", threads(t))
			fifoCalls(t, tt.read, path, 30)
			before := threads(t)
			fifoCalls(t, tt.read, path, 30)
			after := threads(t)
			t.Logf("threads before 30 FIFO calls: %d, after: %d", before, after)
			require.LessOrEqual(t, after, before+2, "threads grew from %d to %d", before, after)
		})
	}
}

const stdinHelperEnv = "ENVLOAD_TEST_STDIN_PATHS"

// TestFileIsOwnStdin re-runs the test binary with a regular .env file as
// its standard input: that file, by its path or a hard link, is refused,
// while this process (another stdin) reads it fine.
func TestFileIsOwnStdin(t *testing.T) {
	t.Parallel()
	path := writeEnv(t, "SECRET=s3cr3t\n")
	link := filepath.Join(t.TempDir(), "link.env")
	require.NoError(t, os.Link(path, link))
	got, err := ParseFile(path)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"SECRET": "s3cr3t"}, got)

	stdin, err := os.Open(path)
	require.NoError(t, err)
	defer stdin.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileStdinHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), stdinHelperEnv+"="+path+"\n"+link)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, p := range []string{path, link} {
		for _, r := range readers {
			require.Contains(t, string(out),
				fmt.Sprintf("%s: ErrFileNotRegular=true envload: env file %q is the server's own standard input; give a .env file\n", r.name, p))
		}
	}
	require.NotContains(t, string(out), "s3cr3t")
}

// TestFileStdinHelper is the child of TestFileIsOwnStdin; alone it does nothing.
func TestFileStdinHelper(t *testing.T) {
	paths := os.Getenv(stdinHelperEnv)
	if paths == "" {
		t.Skip("helper process for TestFileIsOwnStdin")
	}
	for _, p := range strings.Split(paths, "\n") {
		for _, r := range readers {
			err := r.read(p)
			fmt.Printf("%s: ErrFileNotRegular=%v %v\n", r.name, errors.Is(err, ErrFileNotRegular), err)
		}
	}
}
