package executor

import "context"

// These methods let a program report what its runs would use (a server's
// health check, say) without running anything: the answers are the ones a
// run gets, from the same caches. None of them installs anything.

// DefaultInterpreter returns the interpreter of runs that ask for no
// python_version (Options.Python, default "python3", resolved to its real
// path once). Without one it returns an error matching ErrPythonNotFound.
func (e *Executor) DefaultInterpreter(ctx context.Context) (Interpreter, error) {
	return e.interp.Default(ctx)
}

// Interpreters lists the installed interpreters a Request.PythonVersion can
// select, one per minor version, oldest first. It may be empty.
func (e *Executor) Interpreters(ctx context.Context) []Interpreter {
	return append([]Interpreter(nil), e.interp.Installed(ctx)...)
}

// UV returns the uv binary that runs with UseUV use (Options.UV, else uv on
// PATH, ~/.local/bin/uv or ~/.cargo/bin/uv), or an error matching
// ErrUVNotFound. It only looks; installing uv is the caller's decision.
func (e *Executor) UV() (string, error) {
	return e.uvPath()
}
