package kernel

import _ "embed"

// Source is the kernel program: one Python file, standard library only, run
// as `python -u -c Source`. Embedding it keeps the Go module self-contained:
// no file has to be installed next to the binary.
//
//go:embed kernel.py
var Source string

// ProtocolVersion is the version of the wire protocol between this package
// and kernel.py. The kernel announces its version in the hello message and
// Start refuses a kernel that speaks another one. Version 2 added the
// value's MIME bundle (reply "data") and JPEG images marked as the value's.
const ProtocolVersion = 2

// Request operations.
const (
	opHello    = "hello"
	opExecute  = "execute"
	opUseVenv  = "use_venv"
	opShutdown = "shutdown"
)

// request is one JSON line on fd 3.
type request struct {
	ID            int64  `json:"id"`
	Op            string `json:"op"`
	Code          string `json:"code,omitempty"`
	Marker        string `json:"marker,omitempty"`
	MaxImages     int    `json:"max_images,omitempty"`
	MaxImageBytes int    `json:"max_image_bytes,omitempty"`
	ValueCap      int    `json:"value_cap,omitempty"`
	Path          string `json:"path,omitempty"`
}

// reply is one JSON line on fd 4: the hello message, or the answer to the
// request with the same ID.
type reply struct {
	ID int64  `json:"id"`
	Op string `json:"op"`
	// Fault is set when the kernel could not carry out the request (an
	// unknown op, a malformed request); user-code errors are in Error.
	Fault string `json:"fault,omitempty"`

	// hello
	Protocol   int    `json:"protocol,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Python     string `json:"python,omitempty"`
	Executable string `json:"executable,omitempty"`
	Prefix     string `json:"prefix,omitempty"`

	// execute
	Count int    `json:"count,omitempty"`
	Value string `json:"value,omitempty"`
	// Data is the value's MIME bundle without text/plain (that is Value);
	// present, possibly empty, whenever the cell has a value.
	Data          map[string]string `json:"data,omitempty"`
	Error         *Error            `json:"error,omitempty"`
	Interrupted   bool              `json:"interrupted,omitempty"`
	Images        []wireImage       `json:"images,omitempty"`
	ImagesOmitted int               `json:"images_omitted,omitempty"`
	Notes         []string          `json:"notes,omitempty"`

	// use_venv
	SitePackages string `json:"site_packages,omitempty"`
}

type wireImage struct {
	MIME    string `json:"mime"`
	Data    []byte `json:"data"`            // base64 on the wire
	OfValue bool   `json:"value,omitempty"` // the value's _repr_png_ or _repr_jpeg_, not a figure
}
