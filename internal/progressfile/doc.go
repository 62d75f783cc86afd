// Package progressfile is the progress protocol between pyexec and the
// scripts it runs: a script appends JSON lines to the file named by $Env,
// and the server follows that file while the script runs.
//
//	pf, err := progressfile.Create("", func(r progressfile.Report) {
//		fmt.Printf("%g of %g: %s\n", r.Current, r.Total, r.Message) // from the follower
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	// The script, which finds the path in $PYEXEC_PROGRESS_FILE:
//	f, err := os.OpenFile(pf.Path(), os.O_APPEND|os.O_WRONLY, 0)
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Fprintln(f, `{"current": 5, "total": 10, "message": "epoch 5/10"}`)
//	f.Close()
//	// After the run: read what the last poll missed, stop, remove the file.
//	if err := pf.Close(); err != nil {
//		log.Fatal(err)
//	}
//
// # Format
//
// One JSON object a line:
//
//	{"current": 5, "total": 10, "message": "epoch 5/10"}
//
// current is required; total (0 or absent: unknown) and message are
// optional, and a message that is not a string is reported as its JSON. The
// last complete line wins. Lines that are not such objects are ignored, as
// is any line longer than LineMax bytes; a message is cut to MessageMax
// bytes. PythonHelper is a dependency-free helper that writes the format.
//
// # Why a file
//
// A plain file rather than a pipe: a script that never reports costs
// nothing, a script that reports while nobody reads never blocks, and a
// subprocess of the script can report too (it inherits the variable). The
// file is private to one run (File.Dir is a fresh directory of its own).
package progressfile
