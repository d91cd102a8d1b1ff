package crashtest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/crashtest"
	"github.com/raftlog/raftlog/internal/failpoint"
)

// injected returns the failpoint names the module's code injects: the
// string arguments of every failpoint.Inject call outside tests, nested
// modules and internal/failpoint itself, with their positions.
func injected(t *testing.T, root string) map[string]string {
	t.Helper()
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || exists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			filepath.ToSlash(filepath.Dir(path)) == filepath.ToSlash(filepath.Join(root, "internal/failpoint")) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Inject" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "failpoint" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%v: failpoint.Inject with a name that is not a string literal: the list cannot be checked", fset.Position(call.Pos()))
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			found[failpoint.Prefix+name] = fset.Position(call.Pos()).String()
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// documented returns the failpoint names listed in docs/testing.md: the
// backquoted full names in its failpoint table.
func documented(t *testing.T, root string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "testing.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^\\| `(" + regexp.QuoteMeta(failpoint.Prefix) + "[A-Za-z/]+)` \\|")
	var names []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// TestFailpointNamesAreTheAPI: the names injected in the code, the names
// crashtest exports and the names docs/testing.md documents are the same
// set. A failpoint that is added, renamed or removed fails this test until
// the list and the documentation say so.
func TestFailpointNamesAreTheAPI(t *testing.T) {
	root := filepath.Join("..")
	code := injected(t, root)
	api := crashtest.Failpoints()
	if !slices.IsSorted(api) {
		t.Errorf("Failpoints() is not sorted: %q", api)
	}
	for _, name := range api {
		if _, ok := code[name]; !ok {
			t.Errorf("%s is in crashtest.Failpoints but no code injects it: a failpoint disappeared (say so in docs/testing.md and remove its constant)", name)
		}
	}
	for name, pos := range code {
		if !slices.Contains(api, name) {
			t.Errorf("%s: %s is injected but not in crashtest.Failpoints: add a constant and document it in docs/testing.md", pos, name)
		}
	}
	if docs := documented(t, root); !slices.Equal(docs, api) {
		t.Errorf("docs/testing.md documents %q; crashtest.Failpoints is %q", docs, api)
	}
}

func TestFailpointsEnv(t *testing.T) {
	got := crashtest.FailpointsEnv(map[string]string{
		crashtest.FailpointBeforeFsync: "return(true)",
		crashtest.FailpointAfterFsync:  "3*off->panic",
	})
	want := "GO_FAILPOINTS=github.com/raftlog/raftlog/wal/afterFsync=3*off->panic;github.com/raftlog/raftlog/wal/beforeFsync=return(true)"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
