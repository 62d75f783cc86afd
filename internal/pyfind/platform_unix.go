//go:build unix

package pyfind

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"runtime"
)

// DefaultName is the interpreter name used when none is configured.
const DefaultName = "python3"

// venvPythonName is the interpreter's name in a virtual environment.
const venvPythonName = "python"

// launcherHint is added to a "not on PATH" error: Unix has no launcher.
const launcherHint = ""

var pythonName = regexp.MustCompile(`^python3(\.[0-9]+)?$`)

// IsPythonName reports whether base is the file name of a Python 3
// interpreter as installers name it: python3 or python3.X.
func IsPythonName(base string) bool { return pythonName.MatchString(base) }

// VenvBin returns the directory of a virtual environment's programs.
func VenvBin(venv string) string { return filepath.Join(venv, "bin") }

// SitePackagesGlob is the filepath.Glob pattern of a virtual environment's
// site-packages: lib/python3.X/site-packages.
func SitePackagesGlob(venv string) string {
	return filepath.Join(venv, "lib", "python*", "site-packages")
}

func exeNames(name string) []string { return []string{name} }

func executable(fi fs.FileInfo) bool { return fi.Mode()&0o111 != 0 }

func isAlias(string) bool { return false }

func viaLauncher(context.Context, string, string) (string, error) {
	return "", errors.New("no launcher on unix")
}

// SearchDirs returns the directories where interpreters are looked for:
// those of pathEnv, then, on macOS, where the installers put them when a
// server's PATH lacks them (a client starts a server with a short PATH):
// Homebrew (/opt/homebrew/bin on Apple silicon, /usr/local/bin on Intel)
// and python.org's framework builds (in any order: the executor keeps the
// newest of each minor version).
func SearchDirs(pathEnv string) []string {
	return searchDirs(runtime.GOOS, pathEnv, filepath.Glob)
}

// searchDirs is SearchDirs for system goos, globbing with glob (a test
// gives a fake macOS file system).
func searchDirs(goos, pathEnv string, glob func(string) ([]string, error)) []string {
	dirs := filepath.SplitList(pathEnv)
	if goos == "darwin" {
		dirs = append(dirs, "/opt/homebrew/bin", "/usr/local/bin")
		fw, _ := glob("/Library/Frameworks/Python.framework/Versions/3.*/bin")
		dirs = append(dirs, fw...)
	}
	return dirs
}
