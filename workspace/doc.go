// Package workspace reads, writes and lists files inside one directory, and
// nowhere else: "..", absolute paths and symbolic links that lead out are
// refused. It backs the read_file, write_file and list_files tools; the
// session kernels run with the same directory as their working directory,
// so code and tools see the same files.
//
//	ws, err := workspace.Open(filepath.Join(dir, "ws"), nil)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer ws.Close()
//
//	if _, err := ws.Write("data/in.csv", []byte("a,b\n1,2\n"), nil); err != nil {
//		log.Fatal(err)
//	}
//	data, info, err := ws.Read("data/in.csv")
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Printf("%s: %d bytes, text=%v\n", info.Path, len(data), info.IsText) // data/in.csv: 8 bytes, text=true
//
//	_, _, err = ws.Read("../secret")
//	fmt.Println(errors.Is(err, workspace.ErrOutside)) // true: ".." climbs out
//
// [Workspace.List] lists a directory, recursively if asked.
//
// # Confinement
//
// Every operation goes through an os.Root opened on the directory, so the
// kernel resolves each path component relative to it and refuses to leave
// it, also through symbolic links created after Open (for instance by code
// running in a session) and also if a directory is swapped for a link while
// the path is resolved. Paths are checked first, so the common mistakes get
// a precise message: absolute paths and ".." that climbs out are ErrOutside
// without touching the file system; a symlink that leads out is ErrOutside
// naming the path. Symlinks that stay inside work.
//
// # Content
//
// Content is raw bytes. FileInfo.IsText says whether it is valid UTF-8
// without NUL bytes; other content is binary, which an MCP layer sends as
// base64. FileInfo.MIME is sniffed, so an image file can be returned as image
// content (FileInfo.IsImage). Reads and writes are limited to
// DefaultMaxReadBytes and DefaultMaxWriteBytes unless Options say otherwise,
// and only regular files are read or written: opening a FIFO never blocks.
// ReadAt reads a part of a file of any size, for a reader that pages
// through it.
package workspace
