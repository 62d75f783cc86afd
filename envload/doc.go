// Package envload builds the environment of a child process from three
// layers: the base environment (normally the server's own), a .env file and
// an explicit map. It is a pure function of its inputs: it never calls
// os.Setenv and never changes the calling process.
//
//	env, err := envload.Build(&envload.Options{
//		Base:  []string{"HOME=/home/ada", "LOG_LEVEL=info", "VIRTUAL_ENV=/venv"}, // nil: os.Environ()
//		File:  file,
//		Vars:  map[string]string{"LOG_LEVEL": "warning"},
//		Unset: []string{"VIRTUAL_ENV"},
//	})
//	if err != nil {
//		log.Fatal(err) // names the bad input and how to fix it
//	}
//	cmd.Env = env // sorted by key
//
// With a file that says "export DATA_DIR=${HOME}/data" and
// "LOG_LEVEL=debug", env is [DATA_DIR=/home/ada/data HOME=/home/ada
// LOG_LEVEL=warning] (the example of [Build]).
//
// # Layers
//
// Later layers win: base < file < Vars, and Unset removes keys last. A key
// repeated inside Base keeps its last value, as os/exec does. Base entries
// without '=' or with an empty name are dropped: no program can look them up.
// The result is sorted by key, so the same inputs always give the same slice.
//
// # The .env syntax
//
// Files are parsed with github.com/joho/godotenv: '#' comments, blank lines,
// an optional "export " prefix, "KEY: value" as well as "KEY=value", single
// quotes (literal), double quotes (with \n, \r and \" escapes, may span
// lines) and unquoted values (trailing " # comment" removed).
//
// # Expansion
//
// $KEY and ${KEY} in unquoted and double-quoted values expand to the value of
// KEY from the lines above in the same file or, failing that, from the base
// environment. Only upper-case names ([A-Z0-9_]+) expand, as in godotenv; an
// unknown name expands to "". godotenv itself looks only at the lines above
// (never at os.Getenv); [Build] makes the base layer visible as well, without
// touching the process environment. [Parse] and [ParseFile] see only the file.
// Vars are not expanded and are not visible to the file: they are literal.
//
// # Which files
//
// A server reads the files its callers name (env_file, through the MCP
// tools), so [ParseFile] and [Build] read only what can be an env file and
// refuse the rest before reading a byte, with an error wrapping
// [ErrFileNotRegular] or [ErrFileTooLarge] (both also [ErrFileUnreadable]):
//
//   - only a regular file: a FIFO would hang the call (and hold an OS thread)
//     until a writer comes, a device such as /dev/zero never ends, a socket
//     or directory is no file. The file is opened without blocking
//     (O_NONBLOCK, O_NOCTTY, O_CLOEXEC) and the opened descriptor is
//     checked, not the path, so a path swapped after the check cannot
//     slip in something else;
//   - nothing under /proc, /dev or /sys, as written or after resolving
//     symlinks, and (on Linux) nothing on procfs, sysfs and the like wherever
//     mounted: their "regular files" are kernel interfaces, and
//     /proc/self/fd/0 or /proc/self/environ would hand a caller the server's
//     MCP input or its secrets;
//   - not the process's own standard input, which may be the server's MCP
//     transport;
//   - at most [MaxFileBytes] (1 MiB): checked before reading and again while
//     reading, for a file that grows.
//
// # Errors
//
// Every error wraps one of the sentinels in errors.go and names the input at
// fault: the file (with the line for syntax errors), or the env_vars/unset key.
// Messages never quote a value, since .env files hold secrets.
package envload
