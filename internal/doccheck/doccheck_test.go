// Package doccheck holds a test: documents and comments refer only to what
// is in the repository.
package doccheck

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// foreign matches references to documents kept outside the repository: a
// specification or design notes by their file names, a shared notes
// folder, and a reference implementation called "the seed". (A random seed
// is written "its seed", "a seed", "seed N".)
var foreign = []*regexp.Regexp{
	regexp.MustCompile(`\bSPEC\b`),
	regexp.MustCompile(`\b(DESIGN|PEERS|STYLE)\.md\b`),
	regexp.MustCompile(`\.\./shared\b|/work/shared\b|\bshared/`),
	regexp.MustCompile(`(?i)\bthe seed\b`),
}

// mdLink matches a Markdown link target.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// finding is one occurrence: "path: line text", and what is wrong with it.
type finding struct{ path, line, why string }

func (f finding) key() string { return f.path + ": " + f.line }

// repoRoot is two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the repository root %s: %v", root, err)
	}
	return root
}

// TestNoForeignReferences: no Markdown file, and no comment of a non-test
// Go file, refers to a document outside the repository, and every relative
// Markdown link names a file that exists. Occurrences listed in allow.txt
// are reported (go test -v) but pass; an entry that matches nothing fails,
// so the list only shrinks.
func TestNoForeignReferences(t *testing.T) {
	root := repoRoot(t)
	allowed := readAllowList(t)
	used := map[string]bool{}
	var found []finding
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(rel, ".md"):
			found = append(found, checkMarkdown(t, root, rel)...)
		case strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go"):
			found = append(found, checkGoComments(t, root, rel)...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if allowed[f.key()] {
			used[f.key()] = true
			t.Logf("allowed for now (allow.txt): %s", f.key())
			continue
		}
		t.Errorf("%s: %s: %q", f.path, f.why, f.line)
	}
	for k := range allowed {
		if !used[k] {
			t.Errorf("allow.txt: %q matches nothing any more: remove it", k)
		}
	}
}

// checkMarkdown reports lines with a foreign reference and relative links
// to files that do not exist.
func checkMarkdown(t *testing.T, root, rel string) []finding {
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	var out []finding
	for _, line := range strings.Split(string(b), "\n") {
		if matchesForeign(line) {
			out = append(out, finding{rel, strings.TrimSpace(line), whyForeign})
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			p := filepath.Join(root, filepath.Dir(rel), filepath.FromSlash(target))
			inside, err := filepath.Rel(root, p)
			if _, serr := os.Stat(p); serr != nil || err != nil || strings.HasPrefix(inside, "..") {
				out = append(out, finding{rel, strings.TrimSpace(line), "links to " + m[1] + ", which is not a file in the repository"})
			}
		}
	}
	return out
}

const whyForeign = "refers to a document kept outside the repository"

// checkGoComments reports comment lines with a foreign reference.
func checkGoComments(t *testing.T, root, rel string) []finding {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, rel), nil, parser.ParseComments)
	if err != nil {
		t.Fatalf("parsing %s: %v", rel, err)
	}
	var out []finding
	for _, g := range f.Comments {
		for _, c := range g.List {
			for _, line := range strings.Split(c.Text, "\n") {
				if matchesForeign(line) {
					out = append(out, finding{rel, strings.TrimSpace(line), whyForeign})
				}
			}
		}
	}
	return out
}

func matchesForeign(line string) bool {
	for _, re := range foreign {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

// readAllowList reads allow.txt: one "path: line" per line, as the test
// prints them; blank lines and lines starting with # are ignored.
func readAllowList(t *testing.T) map[string]bool {
	f, err := os.Open("allow.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestForeignPatterns: what the patterns catch and what they leave alone.
func TestForeignPatterns(t *testing.T) {
	for line, want := range map[string]bool{
		"see SPEC section 2":                   true,
		"the invariants of DESIGN.md":          true,
		"as in ../shared/notes":                true,
		"like the seed, it is not bounded":     true,
		"The seed replaces the state":          true,
		"see docs/design.md":                   false,
		"a failing seed prints its replay":     false,
		"all randomness comes from its seed":   false,
		"specification of the format":          false,
		"seeds [--seed, --seed+--seeds)":       false,
		"inspect the shared lock of a process": false,
	} {
		if got := matchesForeign(line); got != want {
			t.Errorf("matchesForeign(%q) = %v, want %v", line, got, want)
		}
	}
}
