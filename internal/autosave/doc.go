// Package autosave keeps the inline scripts of earlier tool calls, each
// with a JSON sidecar of the call's parameters, in one directory that
// several server processes may share; and it reads a directory of saved
// scripts. Every read is by plain file name, through os.Root, so neither
// ".." nor a symlink leads out of the directory.
//
//	dataDir, err := os.MkdirTemp("", "autosave-example-")
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer os.RemoveAll(dataDir)
//	s, err := autosave.New(&autosave.Options{Dir: filepath.Join(dataDir, "autosaved")})
//	if err != nil {
//		log.Fatal(err)
//	}
//	// The caller redacts secrets from the parameters first.
//	name, err := s.Save("run_script_in_dir", "print(6*7)\n", map[string]any{"use_uv": false})
//	if err != nil {
//		log.Fatal(err)
//	}
//	sc, err := s.Read(name)
//	if err != nil {
//		log.Fatal(err)
//	}
//	meta := sc.Params.(map[string]any) // the sidecar
//	fmt.Print(sc.Content)
//	fmt.Println(meta["tool"], meta["params"])
//
// # Layout
//
// A script is NAME.py with its sidecar NAME.json ({"tool", "saved_at",
// "params"}). Names begin with the UTC time of the save, so they sort by
// age; both files are written through a temporary file and a rename, so a
// reader in another process never sees half of one.
//
// # Retention
//
// The newest Options.Keep scripts are kept. To keep saves cheap the
// directory is scanned only after a Store has saved Keep/8 scripts past the
// limit, so with several processes sharing the directory it holds at most
// Keep + Keep/8 scripts per process for a while.
package autosave
