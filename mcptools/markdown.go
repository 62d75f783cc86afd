package mcptools

// The text content of every tool result is rendered here, with one set of
// helpers (fence, table, cell, seconds): readable markdown for an
// assistant, or with markdown_output=false the JSON of the structured
// result (render). The job-stream resource is plain text, not markdown
// (resource.go).

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// textResult is a tool result whose only content is text; the SDK adds the
// structured content.
func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

// render returns the text content of a result: md() when markdown is
// wanted, else the JSON of the structured payload.
func render(markdown bool, payload any, md func() string) *mcp.CallToolResult {
	if markdown {
		return textResult(md())
	}
	b, err := json.MarshalIndent(payload, "", "  ")
	if err != nil {
		return textResult(md())
	}
	return textResult(string(b))
}

// fence wraps text in a code block whose fence is longer than any run of
// backticks inside it, so that output cannot end the block early.
func fence(lang, text string) string {
	n, run := 3, 0
	for _, r := range text {
		if r == '`' {
			run++
			n = max(n, run+1)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", n)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return f + lang + "\n" + text + f + "\n"
}

func seconds(s float64) string {
	switch {
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1000)
	case s < 100:
		return fmt.Sprintf("%.2f s", s)
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

// markdownRun renders the result of an execution tool.
func markdownRun(r *RunResult, deps []string, bench *BenchmarkResult) string {
	var b strings.Builder
	if r.JobID != "" && r.Status != string(jobstore.StateCompleted) {
		fmt.Fprintf(&b, "## ⏳ Running in the background as job `%s`\n\n%s\n\n", r.JobID, r.Message)
		fmt.Fprintf(&b, "Live output: resource `%s`.\n", JobStreamURI(r.JobID))
		if r.AutosavedScript != "" {
			fmt.Fprintf(&b, "\nScript autosaved as `%s`.\n", r.AutosavedScript)
		}
		return b.String()
	}
	switch {
	case r.Status == string(jobstore.StateCancelled):
		fmt.Fprintf(&b, "## ⛔ Cancelled after %s\n\n%s\n", seconds(r.ElapsedSeconds), r.Message)
	case r.TimedOut:
		fmt.Fprintf(&b, "## ⏱️ Timed out after %s (process tree stopped)\n", seconds(r.ElapsedSeconds))
	case r.LimitExceeded != "":
		fmt.Fprintf(&b, "## 🛑 Stopped by a limit after %s: %s\n", seconds(r.ElapsedSeconds), r.LimitExceeded)
	case r.ExitCode != nil && *r.ExitCode == 0:
		fmt.Fprintf(&b, "## ✅ Exit code 0 in %s\n", seconds(r.ElapsedSeconds))
	case r.ExitCode != nil && *r.ExitCode < 0:
		fmt.Fprintf(&b, "## ❌ Killed by signal %d after %s\n", -*r.ExitCode, seconds(r.ElapsedSeconds))
	case r.ExitCode != nil:
		fmt.Fprintf(&b, "## ❌ Exit code %d in %s\n", *r.ExitCode, seconds(r.ElapsedSeconds))
	}
	var facts []string
	if r.QueuedSeconds > 0 {
		facts = append(facts, "waited "+seconds(r.QueuedSeconds)+" for a free execution slot first")
	}
	if r.ExecutionStrategy != "" {
		facts = append(facts, "strategy "+r.ExecutionStrategy)
	}
	if r.PythonVersionUsed != "" {
		facts = append(facts, "Python "+r.PythonVersionUsed)
	}
	if r.AutosavedScript != "" {
		facts = append(facts, "autosaved as `"+r.AutosavedScript+"`")
	}
	if len(facts) > 0 {
		b.WriteString("\n" + strings.Join(facts, " · ") + "\n")
	}
	if len(deps) > 0 {
		fmt.Fprintf(&b, "\n**Resolved dependencies:** %s\n", strings.Join(deps, ", "))
	}
	if bench != nil {
		b.WriteString("\n")
		table(&b, []string{"wall time", "CPU time", "peak RSS"},
			[][]string{{seconds(bench.WallTimeSeconds), seconds(bench.CPUTimeSeconds), peakRSS(bench)}})
	}
	writeStream(&b, "stdout", r.Stdout, r.StdoutOmittedBytes, r.StdoutOmittedFrom, r.JobID)
	writeStream(&b, "stderr", r.Stderr, r.StderrOmittedBytes, r.StderrOmittedFrom, r.JobID)
	if r.Stdout == "" && r.Stderr == "" {
		b.WriteString("\n_(no output)_\n")
	}
	return b.String()
}

func peakRSS(r *BenchmarkResult) string {
	if r.PeakRSSMB <= 0 {
		return "unknown"
	}
	s := fmt.Sprintf("%.1f MiB", r.PeakRSSMB)
	if r.PeakRSSSource != "" {
		s += " (" + r.PeakRSSSource + ")"
	}
	return s
}

// writeStream renders one output stream; omitted bytes from offset from
// are named with how to read them from job id's logs.
func writeStream(b *strings.Builder, name, text string, omitted, from int64, id string) {
	if text == "" {
		return
	}
	fmt.Fprintf(b, "\n### %s\n", name)
	switch {
	case omitted > 0 && id != "":
		fmt.Fprintf(b, "_(bytes %d–%d left out to fit the response budget: `get_job_output` job_id `%s`, %s_offset %d reads them)_\n", from, from+omitted, id, name, from)
	case omitted > 0:
		fmt.Fprintf(b, "_(bytes %d–%d left out to fit the response budget)_\n", from, from+omitted)
	}
	b.WriteString(fence("text", text))
}

func markdownStarted(s *AsyncStarted, pyVersion string, deps []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## 🚀 Started job `%s`\n\n%s\n\nStrategy %s", s.JobID, s.Message, s.ExecutionStrategy)
	if pyVersion != "" {
		b.WriteString(" · Python " + pyVersion)
	}
	b.WriteString(".\n")
	if len(deps) > 0 {
		fmt.Fprintf(&b, "\n**Resolved dependencies:** %s\n", strings.Join(deps, ", "))
	}
	if s.AutosavedScript != "" {
		fmt.Fprintf(&b, "\nScript autosaved as `%s`.\n", s.AutosavedScript)
	}
	return b.String()
}

func markdownJobOutput(o *JobOutput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Job `%s`: %s", o.JobID, o.State)
	if o.ExitCode != nil {
		fmt.Fprintf(&b, " (exit code %d)", *o.ExitCode)
	}
	fmt.Fprintf(&b, " · %s\n", seconds(o.ElapsedSeconds))
	if o.Error != "" {
		fmt.Fprintf(&b, "\n**Error:** %s\n", firstLine(o.Error))
	}
	writeStream(&b, "stdout", o.Stdout, 0, 0, "")
	writeStream(&b, "stderr", o.Stderr, 0, 0, "")
	if o.Stdout == "" && o.Stderr == "" {
		b.WriteString("\n_(no new output)_\n")
	}
	fmt.Fprintf(&b, "\nNext offsets: stdout_offset=%d, stderr_offset=%d", o.NextStdoutOffset, o.NextStderrOffset)
	if o.More {
		b.WriteString(" — more output is available now")
	}
	b.WriteString(".\n")
	return b.String()
}

// jobTable renders a list of jobs: empty when there are none, else how
// many there are (count, a format of total), how many are shown under a
// limit, and the table.
func jobTable(empty, count string, total int, header []string, rows [][]string) string {
	if len(rows) == 0 {
		return empty
	}
	var b strings.Builder
	fmt.Fprintf(&b, count, total)
	if total > len(rows) {
		fmt.Fprintf(&b, ", newest %d shown", len(rows))
	}
	b.WriteString("\n\n")
	table(&b, header, rows)
	return b.String()
}

func markdownJobs(r *ListJobsResult) string {
	rows := make([][]string, 0, len(r.Jobs))
	for _, j := range r.Jobs {
		exit, pid := "", ""
		if j.ExitCode != nil {
			exit = fmt.Sprint(*j.ExitCode)
		}
		if j.PID != 0 {
			pid = fmt.Sprint(j.PID)
		}
		rows = append(rows, []string{code(j.JobID), cell(j.Label), j.State, exit, pid, seconds(j.ElapsedSeconds), j.Kind})
	}
	return jobTable("No jobs.\n", "%d job(s)", r.Total, []string{"job_id", "label", "state", "exit", "pid", "elapsed", "kind"}, rows)
}

func markdownJobInfo(j *JobInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Job `%s` (%s): %s\n\n", j.ID, cell(j.Label), j.Status)
	if j.Progress.Total > 0 || j.Progress.Current != 0 || j.Progress.Message != "" {
		fmt.Fprintf(&b, "Progress: %g", j.Progress.Current)
		if j.Progress.Total > 0 {
			fmt.Fprintf(&b, " / %g (%.0f %%)", j.Progress.Total, 100*j.Progress.Current/j.Progress.Total)
		}
		if j.Progress.Message != "" {
			b.WriteString(" — " + j.Progress.Message)
		}
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "Kind %s · created %s", j.Kind, j.CreatedAt.Format(time.RFC3339))
	if j.StartedAt != nil {
		fmt.Fprintf(&b, " · started %s", j.StartedAt.Format(time.RFC3339))
	}
	if j.CompletedAt != nil {
		fmt.Fprintf(&b, " · ended %s", j.CompletedAt.Format(time.RFC3339))
	}
	b.WriteString("\n")
	if j.ExitCode != nil {
		fmt.Fprintf(&b, "\nExit code %d.\n", *j.ExitCode)
	}
	if j.Error != "" {
		b.WriteString("\n**Error:**\n" + fence("text", j.Error))
	}
	if j.Result != nil {
		res, _ := json.MarshalIndent(j.Result, "", "  ")
		b.WriteString("\n**Result:**\n" + fence("json", string(res)))
	}
	return b.String()
}

// markdownJobStatus renders py_job_status: the job, and an incremental
// poll's new output.
func markdownJobStatus(r *JobStatusResult) string {
	s := markdownJobInfo(&r.Job)
	if r.NextStdoutOffset == nil {
		return s
	}
	var b strings.Builder
	b.WriteString(s)
	for _, st := range []struct{ name, text string }{{"new stdout", r.NewStdout}, {"new stderr", r.NewStderr}} {
		if st.text != "" {
			fmt.Fprintf(&b, "\n### %s\n%s", st.name, fence("text", st.text))
		}
	}
	if r.NewStdout == "" && r.NewStderr == "" {
		b.WriteString("\n_(no new output)_\n")
	}
	fmt.Fprintf(&b, "\nNext offsets: stdout %d, stderr %d.", *r.NextStdoutOffset, *r.NextStderrOffset)
	if r.More {
		b.WriteString(" More output is waiting: poll again.")
	}
	b.WriteString("\n")
	return b.String()
}

func markdownPyJobs(r *PyListJobsResult) string {
	rows := make([][]string, 0, len(r.Jobs))
	for _, j := range r.Jobs {
		prog := ""
		if j.Progress.Total > 0 {
			prog = fmt.Sprintf("%g/%g", j.Progress.Current, j.Progress.Total)
		}
		if j.Progress.Message != "" {
			prog = strings.TrimSpace(prog + " " + j.Progress.Message)
		}
		rows = append(rows, []string{code(j.ID), cell(j.Label), j.Status, cell(prog), j.CreatedAt.Format(time.RFC3339)})
	}
	return jobTable("No jobs match.\n", "%d job(s) match", r.Total, []string{"id", "label", "status", "progress", "created"}, rows)
}

func markdownPrune(r *PruneResult) string {
	return fmt.Sprintf("Removed %d finished job(s); %d remain.", r.Removed, r.Remaining)
}

func markdownScripts(r *ListScriptsResult) string {
	if len(r.Scripts) == 0 {
		return fmt.Sprintf("No scripts. Saved scripts live in `%s`; inline scripts are autosaved (include_autosaved=true lists them).\n", r.ScriptsDir)
	}
	var b strings.Builder
	rows := make([][]string, 0, len(r.Scripts))
	for _, s := range r.Scripts {
		rows = append(rows, []string{code(s.Name), fmt.Sprint(s.Autosaved), fmt.Sprintf("%d B", s.SizeBytes), s.ModifiedAt.Format(time.RFC3339)})
	}
	table(&b, []string{"name", "autosaved", "size", "modified"}, rows)
	return b.String()
}

func markdownViewScript(r *ViewScriptResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## `%s`\n\n", r.Name)
	b.WriteString(fence("python", r.Content))
	if r.Params != nil {
		p, _ := json.MarshalIndent(r.Params, "", "  ")
		b.WriteString("\n**Call parameters** (env_vars values redacted):\n" + fence("json", string(p)))
	}
	return b.String()
}

func markdownCell(c *CellOutput) string {
	var b strings.Builder
	if c.JobID != "" && c.Status != string(jobstore.StateCompleted) {
		fmt.Fprintf(&b, "## ⏳ The cell continues in the background as job `%s`\n", c.JobID)
		writeNotes(&b, c.Notes)
		return b.String()
	}
	switch {
	case c.KernelDied && c.LimitExceeded != "":
		fmt.Fprintf(&b, "## 💥 The session's Python process died: %s; its state is lost\n", strings.ReplaceAll(c.LimitExceeded, "\n", "; "))
	case c.KernelDied:
		fmt.Fprintf(&b, "## 💥 The session's Python process died (%s); its state is lost\n", c.KernelExit)
	case c.TimedOut:
		fmt.Fprintf(&b, "## ⏱️ Interrupted after %s (timeout)\n", seconds(c.ElapsedSeconds))
	case c.Error != nil:
		fmt.Fprintf(&b, "## ❌ %s: %s\n", c.Error.Type, firstLine(c.Error.Message))
	default:
		fmt.Fprintf(&b, "## ✅ [%d] in %s\n", c.ExecutionCount, seconds(c.ElapsedSeconds))
	}
	if c.StateLost && !c.KernelDied {
		b.WriteString("\n**The session's state was lost** (its Python process was restarted); re-run earlier cells as needed.\n")
	}
	if c.LimitExceeded != "" && !c.KernelDied {
		b.WriteString("\n**Limit hit:** " + strings.ReplaceAll(c.LimitExceeded, "\n", "; ") + "\n")
	}
	writeStream(&b, "stdout", c.Stdout, 0, 0, "")
	writeStream(&b, "stderr", c.Stderr, 0, 0, "")
	switch {
	case c.ValueMarkdown != "":
		b.WriteString("\n### value\n" + c.ValueMarkdown + "\n")
	case c.Value != "":
		b.WriteString("\n### value\n" + fence("text", c.Value))
	}
	if c.Error != nil && c.Error.Traceback != "" {
		b.WriteString("\n### traceback\n" + fence("text", c.Error.Traceback))
	}
	if c.Images > 0 {
		fmt.Fprintf(&b, "\n%d image(s) attached.\n", c.Images)
	}
	if len(c.Files) > 0 {
		b.WriteString("\n**Files written** (linked as resources):\n")
		for _, f := range c.Files {
			how := "changed"
			if f.Created {
				how = "new"
			}
			fmt.Fprintf(&b, "- %s (%s, %d bytes)\n", code(f.Path), how, f.Size)
		}
	}
	writeNotes(&b, c.Notes)
	return b.String()
}

func markdownInstall(o *InstallOutput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## 📦 Installed into session %s\n\n", code(o.SessionID))
	for _, p := range o.Requested {
		fmt.Fprintf(&b, "- %s → **%s==%s**\n", p.Requirement, p.Name, p.Version)
	}
	if len(o.Installed) > len(o.Requested) {
		fmt.Fprintf(&b, "\n%d distribution(s) installed in total, dependencies included.\n", len(o.Installed))
	}
	writeNotes(&b, o.Notes)
	return b.String()
}

// markdownFile renders read_file: a text file's content, or what was done
// with a binary one (an image is attached as image content, other bytes
// are in content_base64).
func markdownFile(f *FileOutput, image bool) string {
	part := ""
	if f.Offset > 0 || f.More {
		part = fmt.Sprintf(", bytes %d–%d", f.Offset, f.NextOffset)
	}
	next := ""
	if f.More {
		next = fmt.Sprintf("\n\nThe file goes on: read_file with offset %d reads the next part.", f.NextOffset)
	}
	switch {
	case f.IsText:
		return fmt.Sprintf("%s (%d bytes%s)\n\n%s%s", code(f.Path), f.Size, part, fence("", f.Content), next)
	case image:
		return fmt.Sprintf("%s is an image (%s, %d bytes), attached.", code(f.Path), f.MIME, f.Size)
	}
	return fmt.Sprintf("%s is binary (%s, %d bytes%s); content_base64 holds it.%s", code(f.Path), f.MIME, f.Size, part, next)
}

func markdownWrote(f *FileOutput) string {
	return fmt.Sprintf("Wrote %s (%d bytes).", code(f.Path), f.Size)
}

func markdownFiles(l *ListFilesOutput) string {
	var b strings.Builder
	for _, f := range l.Entries {
		switch {
		case f.Type == "dir": // a trailing slash, as ls -p: a directory has no size to show
			fmt.Fprintf(&b, "- %s\n", code(strings.TrimSuffix(f.Path, "/")+"/"))
		case f.Size != nil:
			fmt.Fprintf(&b, "- %s (%d bytes)\n", code(f.Path), *f.Size)
		case f.Type == "symlink" && f.Outside:
			fmt.Fprintf(&b, "- %s → %s (symlink outside the workspace, not readable)\n", code(f.Path), code(f.Target))
		case f.Type == "symlink":
			fmt.Fprintf(&b, "- %s → %s (symlink)\n", code(f.Path), code(f.Target))
		default:
			fmt.Fprintf(&b, "- %s (%s)\n", code(f.Path), f.Type)
		}
	}
	if len(l.Entries) == 0 {
		b.WriteString("The directory is empty.\n")
	}
	if l.Truncated {
		b.WriteString("\n(truncated: more entries exist)\n")
	}
	return b.String()
}

// writeNotes writes each note as an italic paragraph.
func writeNotes(b *strings.Builder, notes []string) {
	for _, n := range notes {
		b.WriteString("\n_" + n + "_\n")
	}
}

// table writes a markdown table of the header and rows; cells must be
// safe already (cell, code, or text without "|" and newlines).
func table(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(header)) + "|\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
}

// code renders an identifier (a job id, a name, a path) as inline code.
func code(s string) string { return "`" + s + "`" }

// cell makes text safe for one markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(s)
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
