// Package sandboxflag defines the confinement flags that the example
// servers share (python-executor-mcp, mcp-executor): one set of names,
// environment variables and parsing for package sandbox's Policy and the
// confined-install rules, so that both servers mean the same by
// -no-network or -allow-source-builds.
//
//	fs := flag.NewFlagSet("server", flag.ContinueOnError)
//	sb := sandboxflag.Register(fs, "script runs and session kernels")
//	if err := fs.Parse(args); err != nil {
//		return err
//	}
//	st, err := sb.Settings() // st.Policy, st.AllowDirectReferences, …
//
// Every flag defaults to its environment variable (PYEXEC_MEMORY_LIMIT_MB,
// PYEXEC_NO_NETWORK=1, …), so client configurations can use either.
package sandboxflag
