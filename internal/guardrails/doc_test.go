package guardrails

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPackageHasADocComment: each package says what it is for, in a
// comment on its package clause. Packages of test files only (the suites
// under tests/) carry it in one of their test files.
func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range modulePackages(t) {
		files := append(append([]string{}, p.GoFiles...), p.CgoFiles...)
		if len(files) == 0 {
			files = p.TestGoFiles
		}
		if len(files) == 0 {
			continue // e.g. a folder of external tests only
		}
		if !hasPackageDoc(t, p.Dir, files) {
			t.Errorf("%s (%s) has no package doc comment: add one (// Package %s ...) to one of its files", p.ImportPath, p.Dir, p.Name)
		}
	}
}

func hasPackageDoc(t *testing.T, dir string, files []string) bool {
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
			return true
		}
	}
	return false
}
