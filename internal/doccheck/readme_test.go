package doccheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeQuickstart returns the first Go block after "## Quickstart" in the
// README, without its import line.
func readmeQuickstart(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Quickstart\n")
	if !ok {
		t.Fatal("README.md has no Quickstart section")
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	if !ok {
		t.Fatal("README.md's Quickstart has no Go block")
	}
	code, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatal("README.md's Quickstart Go block does not end")
	}
	var body []string
	for _, line := range strings.Split(code, "\n") {
		if !strings.HasPrefix(line, "import ") {
			body = append(body, "\t"+line)
		}
	}
	return strings.Join(body, "\n")
}

// TestReadmeQuickstart builds the README's quickstart code as a function of
// a program, against this repository, runs it, and checks what it prints:
// a user who copies it gets code that compiles, handles every error, and
// does what the README says.
func TestReadmeQuickstart(t *testing.T) {
	root := repoRoot(t)
	prog := `package main

import (
	"fmt"
	"os"

	"github.com/raftlog/raftlog/raftlog"
)

func quickstart(dir string) error {
` + readmeQuickstart(t, root) + `
	return nil
}

func main() {
	dir, err := os.MkdirTemp("", "raftlog-readme-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := quickstart(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}
`
	goSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	files := map[string]string{
		"main.go": prog,
		"go.mod": "module readme\n\ngo 1.25.0\n\nrequire github.com/raftlog/raftlog v0.0.0-00010101000000-000000000000\n\n" +
			"replace github.com/raftlog/raftlog => " + filepath.ToSlash(root) + "\n",
		"go.sum": string(goSum),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"vet", "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s on the README's quickstart: %v\n%s\n%s", strings.Join(args, " "), err, out, prog)
		}
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = mod
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running the README's quickstart: %v\n%s", err, out)
	}
	want := "{Term:1 Index:1} x=1\n{Term:1 Index:2} y=2\n" +
		"{Vote:{Term:1 NodeID:1 Committed:false} Last:{Term:1 Index:2} Committed:{Term:1 Index:2} Purged:<none> UserData:<none>}\n"
	if string(out) != want {
		t.Fatalf("the README's quickstart printed:\n%s\nwant:\n%s", out, want)
	}
}
