package guardrails

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// envReaders may read the environment in shipped code: internal/config
// resolves every ZONAL_* setting, cmd/zonal hands it os.LookupEnv (and
// reads GOGC and the bench command's AWS_* keys), and tests/ are harnesses
// that pass endpoints and keys to child processes. Everything else takes
// its settings as arguments, so a server built in a test (zonaltest) does
// not change with a developer's shell.
var envReaders = []string{"internal/config", "cmd/zonal", "tests"}

// envAllowlist names files (module paths) that still read the environment
// elsewhere, each with the reason. TestEnvAllowlistIsCurrent fails once an
// entry stops doing so: delete it then.
var envAllowlist = []string{}

// envFuncs are the calls that read the environment.
var envFuncs = map[string][]string{
	"os":      {"Getenv", "LookupEnv", "Environ", "ExpandEnv"},
	"syscall": {"Getenv", "Environ"},
}

// envReads lists "file:line: pkg.Func" for each environment read in a
// file's source.
func envReads(fset *token.FileSet, f *ast.File) []string {
	names := map[string]string{} // local name -> import path
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		if _, ok := envFuncs[path]; !ok {
			continue
		}
		name := path
		if im.Name != nil {
			name = im.Name.Name
		}
		names[name] = path
	}
	var reads []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil { // Obj != nil: a local variable, not the package
			return true
		}
		if path, ok := names[id.Name]; ok && slices.Contains(envFuncs[path], sel.Sel.Name) {
			reads = append(reads, fset.Position(sel.Pos()).String()+": "+path+"."+sel.Sel.Name)
		}
		return true
	})
	return reads
}

// moduleEnvReads maps each non-test file outside envReaders that reads
// the environment to its reads.
func moduleEnvReads(t *testing.T) map[string][]string {
	out := map[string][]string{}
	for _, p := range modulePackages(t) {
		if within(p.rel(), envReaders) {
			continue
		}
		fset := token.NewFileSet()
		for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0) // resolve objects: a local named os is not the package
			if err != nil {
				t.Fatal(err)
			}
			if r := envReads(fset, f); len(r) > 0 {
				out[strings.TrimPrefix(p.rel()+"/"+name, "/")] = r
			}
		}
	}
	return out
}

func TestEnvironmentReadOnlyInConfig(t *testing.T) {
	for file, reads := range moduleEnvReads(t) {
		if slices.Contains(envAllowlist, file) {
			continue
		}
		for _, r := range reads {
			t.Errorf("%s: only internal/config reads the environment; add a setting there and pass it down", r)
		}
	}
}

func TestEnvAllowlistIsCurrent(t *testing.T) {
	reads := moduleEnvReads(t)
	for _, f := range envAllowlist {
		if len(reads[f]) == 0 {
			t.Errorf("%s no longer reads the environment: delete it from envAllowlist", f)
		}
	}
}

// TestEnvReadsFound: the scanner sees reads through any import name and
// ignores look-alikes (a variable named os, another package's Getenv).
func TestEnvReadsFound(t *testing.T) {
	src := `package p
import (
	"os"
	sys "syscall"
	other "example.com/env"
)
func f() {
	_ = os.Getenv("A")
	_, _ = os.LookupEnv("B")
	_, _ = sys.Getenv("C")
	_ = other.Getenv("D")
	_ = os.Args
}
func g(os struct{ Getenv func(string) string }) { _ = os.Getenv("E") }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := envReads(fset, f)
	want := []string{"p.go:8:6: os.Getenv", "p.go:9:9: os.LookupEnv", "p.go:10:9: syscall.Getenv"}
	if !slices.Equal(got, want) {
		t.Errorf("reads %q, want %q", got, want)
	}
}
