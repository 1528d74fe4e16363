package guardrails

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/zonal-dev/zonal"

// pkg is the part of `go list -json` the guardrails read.
type pkg struct {
	ImportPath   string
	Dir          string
	Name         string
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	Imports      []string // of GoFiles only: what ships
	TestImports  []string
	XTestImports []string
}

// rel is the path of p inside the module ("" for the root).
func (p *pkg) rel() string { return rel(p.ImportPath) }

func rel(importPath string) string {
	if importPath == module {
		return ""
	}
	return strings.TrimPrefix(importPath, module+"/")
}

var (
	listOnce sync.Once
	listPkgs []*pkg
	listErr  error
)

// modulePackages lists every package of the module (once per test binary).
func modulePackages(t *testing.T) []*pkg {
	t.Helper()
	listOnce.Do(func() {
		if _, err := exec.LookPath("go"); err != nil {
			listErr = err
			return
		}
		cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,Name,GoFiles,CgoFiles,TestGoFiles,Imports,TestImports,XTestImports", module+"/...")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			listErr = errors.New("go list: " + err.Error() + ": " + stderr.String())
			return
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			p := new(pkg)
			if err := dec.Decode(p); err == io.EOF {
				break
			} else if err != nil {
				listErr = err
				return
			}
			listPkgs = append(listPkgs, p)
		}
	})
	if listErr != nil {
		t.Fatal(listErr)
	}
	if len(listPkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(listPkgs))
	}
	return listPkgs
}
