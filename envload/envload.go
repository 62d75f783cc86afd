package envload

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Options says which layers make up an environment. The zero value (or a nil
// *Options) means "the process environment, unchanged".
type Options struct {
	// Base is the bottom layer as "KEY=value" pairs. Nil means os.Environ();
	// an empty non-nil slice means an empty base. Duplicates: the last wins.
	Base []string

	// File is the path of an optional .env file, parsed as by [ParseFile]
	// but with $KEY references also seeing Base. Empty means no file. A
	// relative path is opened relative to the process's working directory;
	// join it with the job's directory first if that is what is meant.
	// The file must pass the rules of [ParseFile] (a small regular file).
	File string

	// Vars override Base and File. Values are literal (no expansion).
	Vars map[string]string

	// Unset lists keys removed after all layers are applied.
	Unset []string
}

// Build returns the environment described by opts as sorted "KEY=value"
// pairs, ready for exec.Cmd.Env. It reads opts.File if set and is otherwise a
// pure function: it never reads or changes the process environment except
// os.Environ() when opts.Base is nil. Errors wrap the sentinels of this
// package and name the input at fault. Build is safe for concurrent use.
func Build(opts *Options) ([]string, error) {
	if opts == nil {
		opts = &Options{}
	}
	base := opts.Base
	if base == nil {
		base = os.Environ()
	}
	var src []byte
	if opts.File != "" {
		var err error
		if src, err = readFile(opts.File); err != nil {
			return nil, err
		}
	}
	return build(base, src, opts.File, opts.Vars, opts.Unset)
}

// build is Build after I/O; the fuzz test drives it with file contents.
func build(base []string, src []byte, file string, vars map[string]string, unset []string) ([]string, error) {
	env := make(map[string]string, len(base)+len(vars))
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue // not KEY=value: nothing can look it up
		}
		env[k] = v
	}
	for _, k := range sortedKeys(env) {
		if err := check("base environment", k, env[k]); err != nil {
			return nil, err
		}
	}
	if file != "" {
		fileVars, err := parse(src, file, env)
		if err != nil {
			return nil, err
		}
		for _, k := range sortedKeys(fileVars) {
			if err := check(fileLabel(file), k, fileVars[k]); err != nil {
				return nil, err
			}
			env[k] = fileVars[k]
		}
	}
	for _, k := range sortedKeys(vars) {
		if err := check("the variable map", k, vars[k]); err != nil {
			return nil, err
		}
		env[k] = vars[k]
	}
	for _, k := range unset {
		if err := check("unset", k, ""); err != nil {
			return nil, err
		}
		delete(env, k)
	}
	out := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

// check validates one variable of the layer named in messages.
func check(layer, key, value string) error {
	switch {
	case key == "":
		return newError(ErrEmptyKey, nil, fmt.Sprintf("%s has an empty variable name; give every variable a name", layer))
	case strings.ContainsRune(key, '='):
		return newError(ErrInvalidKey, nil, fmt.Sprintf("%s key %q contains '='; keys may not contain '=' or NUL", layer, key))
	case strings.IndexByte(key, 0) >= 0:
		return newError(ErrInvalidKey, nil, fmt.Sprintf("%s key %q contains NUL; keys may not contain '=' or NUL", layer, key))
	case strings.IndexByte(value, 0) >= 0:
		return newError(ErrInvalidValue, nil, fmt.Sprintf("%s value of %q contains NUL; values may not contain NUL", layer, key))
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
