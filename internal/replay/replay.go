// Package replay builds the command lines that replay a failing seed of
// sim.Check and crashtest.Check, and reads their seed settings.
package replay

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// GoTest returns the go test command that runs the test named name (as
// testing.TB.Name gives it, subtests included) with args, from the root of
// the module of the calling test: the package is the directory of the first
// _test.go file on the caller's stack, "." if there is none.
func GoTest(name, args string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	pkg := "."
	for skip := 1; skip < 16; skip++ {
		_, file, _, ok := runtime.Caller(skip)
		if !ok {
			break
		}
		if strings.HasSuffix(file, "_test.go") {
			pkg = packageDir(filepath.Dir(file))
			break
		}
	}
	return fmt.Sprintf("go test %s -run '%s' %s", pkg, strings.Join(parts, "/"), args)
}

// packageDir names dir relative to the root of its module ("./sub/pkg"),
// or returns dir when no go.mod is found above it.
func packageDir(dir string) string {
	for root := dir; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			rel, err := filepath.Rel(root, dir)
			switch {
			case err != nil:
				return dir
			case rel == ".":
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		up := filepath.Dir(root)
		if up == root {
			return dir
		}
		root = up
	}
}

// Setting returns a flag's value if it is set (positive), else the
// environment variable env parsed as an unsigned integer (0 if unset or
// malformed).
func Setting[T int | uint64](flagValue T, env string) uint64 {
	if flagValue > 0 {
		return uint64(flagValue)
	}
	v, _ := strconv.ParseUint(os.Getenv(env), 10, 64)
	return v
}
