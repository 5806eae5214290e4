package envconf_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/envconf"
)

func TestLoaderReadsTypedValuesAndDefaults(t *testing.T) {
	l := envconf.New(envconf.Map(map[string]string{
		"S": " value ", "D": "90s", "N": "42", "B": "yes", "R": `^a+$`, "EMPTY": "  ",
	}))
	if got := l.String("S", "def"); got != "value" {
		t.Errorf("String = %q", got)
	}
	if got := l.String("EMPTY", "def"); got != "def" {
		t.Errorf("an empty variable should take the default, got %q", got)
	}
	if got := l.Duration("D", time.Second); got != 90*time.Second {
		t.Errorf("Duration = %s", got)
	}
	if got := l.Int("N", 0, 1); got != 42 {
		t.Errorf("Int = %d", got)
	}
	if !l.Bool("B", false) {
		t.Error("Bool = false")
	}
	if re := l.Regexp("R"); re == nil || !re.MatchString("aaa") {
		t.Error("Regexp did not compile")
	}
	if got := l.Duration("UNSET", time.Minute); got != time.Minute {
		t.Errorf("unset Duration = %s", got)
	}
	if err := l.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
}

// Every bad variable is reported, each by name, in one error.
func TestLoaderNamesEveryBadVariable(t *testing.T) {
	l := envconf.New(envconf.Map(map[string]string{
		"D": "soon", "NEG": "-1s", "N": "x", "SMALL": "0", "B": "maybe", "R": "(",
	}))
	l.Duration("D", 0)
	l.Duration("NEG", 0)
	l.Int("N", 0, 0)
	l.Int("SMALL", 5, 1)
	l.Bool("B", false)
	l.Regexp("R")
	err := l.Err()
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"D:", "NEG:", "N:", "SMALL:", "B:", "R:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s\n%v", name, err)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		env     map[string]string
		want    string
		wantErr string
	}{
		"value":        {env: map[string]string{"K": "direct"}, want: "direct"},
		"file":         {env: map[string]string{"K_FILE": path}, want: "s3cret"},
		"both":         {env: map[string]string{"K": "x", "K_FILE": path}, wantErr: "K: set either K or K_FILE"},
		"missing file": {env: map[string]string{"K_FILE": path + ".nope"}, wantErr: "K_FILE:"},
		"neither":      {env: map[string]string{}, want: ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			l := envconf.New(envconf.Map(c.env))
			got := l.Secret("K")
			err := l.Err()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Secret = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	if envconf.Redact("") != "(unset)" || strings.Contains(envconf.Redact("hunter2"), "hunter2") {
		t.Error("Redact leaks or mislabels")
	}
}
