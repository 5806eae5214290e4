package deploy_test

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/mod/modfile"
)

// instruction is one Dockerfile instruction as BuildKit's parser reads it.
type instruction struct {
	cmd   string   // lower case: from, arg, copy, run, ...
	args  []string // after variable names, before expansion
	flags []string // --from=..., --mount=...
	line  int
	stage string // the stage it belongs to ("" before the first FROM)
}

type dockerfileAST struct {
	ins    []instruction
	stages []string
}

func parseDockerfile(t *testing.T) dockerfileAST {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, dockerfile)))
	if err != nil {
		t.Fatalf("%s: %v", dockerfile, err)
	}
	var d dockerfileAST
	stage := ""
	for _, n := range res.AST.Children {
		in := instruction{cmd: strings.ToLower(n.Value), flags: n.Flags, line: n.StartLine}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.cmd == "from" {
			stage = ""
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "AS") {
				stage = in.args[2]
			}
			d.stages = append(d.stages, stage)
		}
		in.stage = stage
		d.ins = append(d.ins, in)
	}
	return d
}

func (d dockerfileAST) hasStage(name string) bool {
	if name == "" {
		return true // the last stage
	}
	return slices.Contains(d.stages, name)
}

// first returns the index of the first instruction for which match holds,
// -1 when none.
func (d dockerfileAST) first(match func(instruction) bool) int {
	return slices.IndexFunc(d.ins, match)
}

// workspaceModules returns the module directories go.work uses, relative
// to the repository root ("pkg", "services/gateway", ...).
func workspaceModules(t *testing.T) []string {
	t.Helper()
	name := filepath.Join(root, "go.work")
	wf, err := modfile.ParseWork(name, readFile(t, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, u := range wf.Use {
		dirs = append(dirs, path.Clean(u.Path))
	}
	if len(dirs) < 6 {
		t.Fatalf("go.work uses only %v", dirs)
	}
	return dirs
}

func TestDockerfileBuildsAnyServiceFromTheWorkspace(t *testing.T) {
	d := parseDockerfile(t)
	isSource := func(in instruction) bool {
		return in.cmd == "copy" && len(in.flags) == 0 && slices.Equal(in.args, []string{".", "."})
	}
	source := d.first(isSource)
	download := d.first(func(in instruction) bool {
		return in.cmd == "run" && strings.Contains(strings.Join(in.args, " "), "go mod download")
	})
	build := d.first(func(in instruction) bool {
		return in.cmd == "run" && strings.Contains(strings.Join(in.args, " "), "go build")
	})
	switch {
	case source < 0:
		t.Fatal("no COPY . . of the source")
	case download < 0 || download > source:
		t.Fatal("go mod download must run before the source is copied")
	case build < source:
		t.Fatal("go build must run after the source is copied")
	}

	t.Run("SERVICE build argument", func(t *testing.T) {
		buildStage := d.ins[build].stage
		arg := d.first(func(in instruction) bool {
			return in.cmd == "arg" && in.stage == buildStage && len(in.args) > 0 && strings.HasPrefix(in.args[0], "SERVICE")
		})
		if arg < 0 || arg > build {
			t.Fatalf("stage %q does not declare ARG SERVICE before it builds", buildStage)
		}
		if !strings.Contains(strings.Join(d.ins[build].args, " "), "$SERVICE") {
			t.Error("go build does not use $SERVICE")
		}
	})

	t.Run("go.work and every module's go.mod before the source", func(t *testing.T) {
		copied := func(file string) int {
			return d.first(func(in instruction) bool {
				if in.cmd != "copy" || len(in.flags) > 0 || len(in.args) < 2 {
					return false
				}
				dest := in.args[len(in.args)-1]
				for _, src := range in.args[:len(in.args)-1] {
					if ok, _ := path.Match(src, file); ok && (dest == "./" || dest == path.Dir(file)+"/") {
						return true
					}
				}
				return false
			})
		}
		files := []string{"go.work", "go.work.sum"}
		for _, m := range workspaceModules(t) {
			files = append(files, path.Join(m, "go.mod"))
			if _, err := os.Stat(filepath.Join(root, m, "go.sum")); err == nil {
				files = append(files, path.Join(m, "go.sum"))
			}
		}
		for _, f := range files {
			i := copied(f)
			switch {
			case i < 0:
				t.Errorf("%s is never copied to its place", f)
			case i > download:
				t.Errorf("%s is copied after go mod download (line %d)", f, d.ins[i].line)
			}
		}
	})

	t.Run("static binary", func(t *testing.T) {
		env := d.first(func(in instruction) bool {
			return in.cmd == "env" && slices.Contains(in.args, "CGO_ENABLED") && in.args[slices.Index(in.args, "CGO_ENABLED")+1] == "0"
		})
		if env < 0 || env > build {
			t.Error("CGO_ENABLED=0 is not set before go build")
		}
	})

	t.Run("runtime stages", func(t *testing.T) {
		buildStage := d.ins[build].stage
		for _, stage := range d.stages {
			if stage == buildStage {
				continue
			}
			var user, base string
			for _, in := range d.ins {
				if in.stage != stage {
					continue
				}
				switch in.cmd {
				case "from":
					base = in.args[0]
				case "user":
					user = in.args[0]
				}
			}
			if slices.Contains(d.stages, base) || strings.HasPrefix(base, "golang:") { // FROM another runtime stage, or a build stage
				continue
			}
			// The NATS images need busybox: wget for the server's health
			// check, a shell for nats-box; the services have no shell.
			tag := ":nonroot"
			if stage == "nats" || stage == "nats-box" {
				tag = ":debug-nonroot"
			}
			if !strings.HasPrefix(base, "gcr.io/distroless/static") || !strings.HasSuffix(base, tag) {
				t.Errorf("stage %s runs on %s, want distroless static%s (CA certificates)", stage, base, tag)
			}
			if u, _, _ := strings.Cut(user, ":"); u != "65532" && u != "nonroot" {
				t.Errorf("stage %s runs as user %q, want 65532 (nonroot)", stage, user)
			}
		}
		last := d.stages[len(d.stages)-1]
		hc := d.first(func(in instruction) bool { return in.cmd == "healthcheck" && in.stage == last })
		if hc < 0 {
			t.Fatalf("the default stage %s has no HEALTHCHECK", last)
		}
		if got := d.ins[hc].args; !slices.Equal(got, []string{"CMD", "/app/service", "-healthcheck"}) {
			t.Errorf("HEALTHCHECK %q, want CMD /app/service -healthcheck", got)
		}
		if !strings.Contains(strings.Join(d.ins[build].args, " "), "ln -s $SERVICE /out/service") {
			t.Error("/app/service is not the built binary")
		}
	})
}

// TestDockerignoreKeepsTheBuildInputs reads .dockerignore with the matcher
// Docker uses: everything the build needs is sent, secrets and junk are
// not.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	f, err := os.Open(dockerignore)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(p string) bool {
		ok, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, p := range []string{".env", ".env.production", ".git/config", ".data/jetstream/x", "services/gateway/gateway.test", "deploy/k8s/base/gateway.yaml"} {
		if !excluded(p) {
			t.Errorf("%s is sent to the build", p)
		}
	}
	need := []string{"go.work", "go.work.sum", "deploy/docker/nats/go.mod", "deploy/docker/nats/go.sum"}
	for _, m := range workspaceModules(t) {
		need = append(need, path.Join(m, "go.mod"), path.Join(m, "go.sum"))
		if m == "deploy" {
			continue // only its go.mod and go.sum: go.work names it
		}
		err := filepath.WalkDir(filepath.Join(root, m), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			if ext := filepath.Ext(rel); ext == ".go" || ext == ".json" {
				need = append(need, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range need {
		if excluded(p) {
			t.Errorf("%s is not sent to the build", p)
		}
	}
}
