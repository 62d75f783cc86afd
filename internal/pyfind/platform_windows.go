package pyfind

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultName is the interpreter name used when none is configured: the
// python.org installer and most others install python.exe, not
// python3.exe. Not found on PATH, it is asked of the py launcher
// (py -3), which every python.org install registers.
const DefaultName = "python"

// venvPythonName is the interpreter's name in a virtual environment.
const venvPythonName = "python.exe"

// launcherHint is added to a "not on PATH" error.
const launcherHint = ", and the py launcher (py -3) found no Python 3: install Python from python.org or give the interpreter's path"

var pythonName = regexp.MustCompile(`(?i)^python(3(\.[0-9]+)?)?\.exe$`)

// IsPythonName reports whether base is the file name of an interpreter:
// python.exe, python3.exe or python3.X.exe.
func IsPythonName(base string) bool { return pythonName.MatchString(base) }

// VenvBin returns the directory of a virtual environment's programs:
// Scripts on Windows.
func VenvBin(venv string) string { return filepath.Join(venv, "Scripts") }

// SitePackagesGlob is the filepath.Glob pattern of a virtual environment's
// site-packages: Lib\site-packages on Windows, without a version directory.
func SitePackagesGlob(venv string) string {
	return filepath.Join(venv, "Lib", "site-packages")
}

// exeNames lists the file names name may have: as given and, without an
// extension, with .exe.
func exeNames(name string) []string {
	if filepath.Ext(name) != "" {
		return []string{name}
	}
	return []string{name, name + ".exe"}
}

// executable: Windows has no execute bit; a file found is run.
func executable(fs.FileInfo) bool { return true }

// isAlias reports whether path is the Microsoft Store's app execution
// alias (…\WindowsApps\python.exe): a stub that opens the Store when no
// Store Python is installed, so it is asked for sys.executable like a shim
// and fails then rather than be used.
func isAlias(path string) bool {
	return strings.Contains(strings.ToLower(path), `\microsoft\windowsapps\`)
}

// viaLauncher asks the py launcher for the real path of a Python 3 when
// name (python or python3) is not on PATH: `py -3` starts the newest one
// installed.
func viaLauncher(ctx context.Context, name, pathEnv string) (string, error) {
	if n := strings.ToLower(strings.TrimSuffix(name, ".exe")); n != "python" && n != "python3" {
		return "", fmt.Errorf("%q is not a name the py launcher answers for", name)
	}
	py, err := LookPath("py", pathEnv)
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, py, "-3", "-I", "-S", "-c", "import sys;print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("py -3: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// SearchDirs returns the directories where interpreters are looked for:
// those of pathEnv, then where the python.org installer puts them (per
// user: %LOCALAPPDATA%\Programs\Python\Python3XX; for all users:
// %ProgramFiles%\Python3XX), in any order (the executor keeps the newest of
// each minor version), for a server started with a PATH that lacks them.
func SearchDirs(pathEnv string) []string {
	dirs := filepath.SplitList(pathEnv)
	for _, root := range []string{filepath.Join(os.Getenv("LOCALAPPDATA"), "Programs", "Python"), os.Getenv("ProgramFiles")} {
		if root == "" || root == filepath.Join("", "Programs", "Python") {
			continue
		}
		found, _ := filepath.Glob(filepath.Join(root, "Python3*"))
		dirs = append(dirs, found...)
	}
	return dirs
}
