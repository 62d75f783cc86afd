package testenv

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Wheel describes a pure-Python wheel for offline dependency tests and
// benchmarks (docs/design.md §3: a wheel is a zip with METADATA, WHEEL and RECORD).
type Wheel struct {
	Name     string            // distribution name, e.g. "pyexec-demo"
	Version  string            // e.g. "1.5.0"
	Requires []string          // Requires-Dist lines
	Files    map[string]string // path in the wheel → content; default: <module>/__init__.py with __version__
}

// WriteWheel writes w into dir as <name>-<version>-py3-none-any.whl, with a
// fixed zip timestamp so that the bytes are reproducible, and returns its
// path.
func WriteWheel(dir string, w Wheel) (string, error) {
	dist := strings.ReplaceAll(w.Name, "-", "_") + "-" + w.Version
	distInfo := dist + ".dist-info"
	files := map[string]string{}
	for k, v := range w.Files {
		files[k] = v
	}
	if len(files) == 0 {
		module := strings.ReplaceAll(w.Name, "-", "_")
		files[module+"/__init__.py"] = fmt.Sprintf("__version__ = %q\n", w.Version)
	}
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", w.Name, w.Version)
	for _, r := range w.Requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[distInfo+"/METADATA"] = meta
	files[distInfo+"/WHEEL"] = "Wheel-Version: 1.0\nGenerator: pyexec-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	path := filepath.Join(dir, dist+"-py3-none-any.whl")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	stamp := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(name, body string) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return err
		}
		_, err = w.Write([]byte(body))
		return err
	}
	var record strings.Builder
	for _, p := range paths {
		if err := put(p, files[p]); err != nil {
			return "", err
		}
		sum := sha256.Sum256([]byte(files[p]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", p, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[p]))
	}
	record.WriteString(distInfo + "/RECORD,,\n")
	if err := put(distInfo+"/RECORD", record.String()); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return path, f.Close()
}

// WriteSourceProject writes a source project, for tests of source builds:
// files (relative paths → content, a pyproject.toml and its build backend
// at least) as the directory dir/<name>-<version>, and the same files with
// a PKG-INFO as the source distribution links/<name>-<version>.tar.gz, a
// local index entry. It returns the project's directory.
func WriteSourceProject(dir, links, name, version string, files map[string]string) (string, error) {
	base := name + "-" + version
	project := filepath.Join(dir, base)
	if err := os.MkdirAll(project, 0o755); err != nil {
		return "", err
	}
	all := map[string]string{"PKG-INFO": fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)}
	for p, body := range files {
		all[p] = body
	}
	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	sort.Strings(paths) // reproducible bytes
	f, err := os.Create(filepath.Join(links, base+".tar.gz"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, p := range paths {
		body := all[p]
		if err := os.MkdirAll(filepath.Dir(filepath.Join(project, p)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(project, p), []byte(body), 0o644); err != nil {
			return "", err
		}
		hdr := &tar.Header{Name: base + "/" + p, Mode: 0o644, Size: int64(len(body)), ModTime: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := gz.Close(); err != nil {
		return "", err
	}
	return project, f.Close()
}
