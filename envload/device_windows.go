package envload

import (
	"path/filepath"
	"strings"
)

// windowsDevice returns what abs names on Windows that is a device rather
// than a file — a path in the device namespace (\\.\pipe\x, \\.\PhysicalDrive0,
// \\?\GLOBALROOT\…) or a reserved device name (NUL, CON, COM1, … with any
// extension: "nul.env" is the NUL device too) — or "". These are refused
// before they are opened: opening a named pipe connects to its server, and
// opening a device can act, as on Unix (kernelDir).
func windowsDevice(abs string) string {
	vol := filepath.VolumeName(abs)
	if strings.HasPrefix(vol, `\\.\`) || strings.HasPrefix(vol, `\\?\`) && !isDriveLong(vol) {
		return "the device namespace " + vol
	}
	base := filepath.Base(abs)
	stem, _, _ := strings.Cut(base, ".")
	stem = strings.TrimRight(stem, " ")
	switch u := strings.ToUpper(stem); {
	case u == "CON", u == "PRN", u == "AUX", u == "NUL", u == "CONIN$", u == "CONOUT$":
		return "the reserved device name " + stem
	case len(u) == 4 && (strings.HasPrefix(u, "COM") || strings.HasPrefix(u, "LPT")) && u[3] >= '0' && u[3] <= '9':
		return "the reserved device name " + stem
	}
	return ""
}

// isDriveLong reports whether vol is a long-path drive prefix (\\?\C:),
// which names ordinary files.
func isDriveLong(vol string) bool {
	d := strings.TrimPrefix(vol, `\\?\`)
	return len(d) == 2 && d[1] == ':'
}
