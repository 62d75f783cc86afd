package mcptools

import (
	"encoding/json"
	"fmt"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
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
		fmt.Fprintf(&b, "Follow it with `get_job_output` (job_id `%s`) or `py_job_status`; stop it with `kill_job`. Live output: resource `%s`.\n", r.JobID, JobStreamURI(r.JobID))
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
		fmt.Fprintf(&b, "\n| wall time | CPU time | peak RSS |\n|---|---|---|\n| %s | %s | %s |\n",
			seconds(bench.WallTimeSeconds), seconds(bench.CPUTimeSeconds), peakRSS(bench))
	}
	writeStream(&b, "stdout", r.Stdout, r.StdoutOmittedBytes)
	writeStream(&b, "stderr", r.Stderr, r.StderrOmittedBytes)
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

func writeStream(b *strings.Builder, name, text string, omitted int64) {
	if text == "" {
		return
	}
	fmt.Fprintf(b, "\n### %s\n", name)
	if omitted > 0 {
		fmt.Fprintf(b, "_(%d bytes omitted from the middle)_\n", omitted)
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
	writeStream(&b, "stdout", o.Stdout, 0)
	writeStream(&b, "stderr", o.Stderr, 0)
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

// countLine writes how many jobs there are and, under a limit, how many
// are shown.
func countLine(b *strings.Builder, format string, total, shown int) {
	fmt.Fprintf(b, format, total)
	if total > shown {
		fmt.Fprintf(b, ", newest %d shown", shown)
	}
}

func markdownJobs(r *ListJobsResult) string {
	if len(r.Jobs) == 0 {
		return "No jobs.\n"
	}
	var b strings.Builder
	countLine(&b, "%d job(s)", r.Total, len(r.Jobs))
	b.WriteString("\n\n| job_id | label | state | exit | pid | elapsed | kind |\n|---|---|---|---|---|---|---|\n")
	for _, j := range r.Jobs {
		exit := ""
		if j.ExitCode != nil {
			exit = fmt.Sprint(*j.ExitCode)
		}
		pid := ""
		if j.PID != 0 {
			pid = fmt.Sprint(j.PID)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", j.JobID, cell(j.Label), j.State, exit, pid, seconds(j.ElapsedSeconds), j.Kind)
	}
	return b.String()
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

func markdownPyJobs(r *PyListJobsResult) string {
	if len(r.Jobs) == 0 {
		return "No jobs match.\n"
	}
	var b strings.Builder
	countLine(&b, "%d job(s) match", r.Total, len(r.Jobs))
	b.WriteString("\n\n| id | label | status | progress | created |\n|---|---|---|---|---|\n")
	for _, j := range r.Jobs {
		prog := ""
		if j.Progress.Total > 0 {
			prog = fmt.Sprintf("%g/%g", j.Progress.Current, j.Progress.Total)
		}
		if j.Progress.Message != "" {
			prog = strings.TrimSpace(prog + " " + j.Progress.Message)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", j.ID, cell(j.Label), j.Status, cell(prog), j.CreatedAt.Format(time.RFC3339))
	}
	return b.String()
}

func markdownScripts(r *ListScriptsResult) string {
	if len(r.Scripts) == 0 {
		return fmt.Sprintf("No scripts. Saved scripts live in `%s`; inline scripts are autosaved (include_autosaved=true lists them).\n", r.ScriptsDir)
	}
	var b strings.Builder
	b.WriteString("| name | autosaved | size | modified |\n|---|---|---|---|\n")
	for _, s := range r.Scripts {
		fmt.Fprintf(&b, "| `%s` | %t | %d B | %s |\n", s.Name, s.Autosaved, s.SizeBytes, s.ModifiedAt.Format(time.RFC3339))
	}
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
