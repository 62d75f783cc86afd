package notebook

import "errors"

var (
	// ErrInvalid is returned, naming the field and what to do, by Read and
	// Parse for input that is not an nbformat 4 notebook (not JSON, a cell
	// without a cell_type, a source that is neither a string nor a list of
	// strings, …) and by Write and Marshal for a Notebook that would not be
	// one (an unknown cell or output type, a malformed or duplicate cell id,
	// a text MIME value that is not a string, …).
	ErrInvalid = errors.New("notebook: invalid notebook")
	// ErrVersion is returned by Read and Parse for a notebook of another
	// nbformat than 4.0–4.5: version 3 and older are converted with Jupyter
	// first, as the message says.
	ErrVersion = errors.New("notebook: unsupported nbformat version")
	// ErrTooLarge is returned by Read for input over its limit.
	ErrTooLarge = errors.New("notebook: too large")
)
