package accounts

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// file is the accounts file as written.
type file struct {
	ShipStation []struct {
		Account      string     `yaml:"account"`
		WebhookToken *secretRef `yaml:"webhook_token"`
		APIKey       *secretRef `yaml:"api_key"`
		APISecret    *secretRef `yaml:"api_secret"`
		APIURL       string     `yaml:"api_url"`
		V2APIKey     *secretRef `yaml:"v2_api_key"`
	} `yaml:"shipstation"`
	Snipcart []struct {
		Account   string     `yaml:"account"`
		SecretKey *secretRef `yaml:"secret_key"`
		APIURL    string     `yaml:"api_url"`
	} `yaml:"snipcart"`
	Shopline []struct {
		Account     string     `yaml:"account"`
		ShopID      string     `yaml:"shop_id"`
		AppSecret   *secretRef `yaml:"app_secret"`
		AccessToken *secretRef `yaml:"access_token"`
		ShopHandle  string     `yaml:"shop_handle"`
		APIURL      string     `yaml:"api_url"`
	} `yaml:"shopline"`
}

// secretRef is a secret given by reference: {env: NAME} or {file: PATH}.
type secretRef struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// UnmarshalYAML refuses a secret written in the file.
func (r *secretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: give a secret by reference, {env: NAME} or {file: PATH}, not its value", n.Line)
	}
	type plain secretRef
	if err := n.Decode((*plain)(r)); err != nil {
		return err
	}
	if (r.Env == "") == (r.File == "") {
		return fmt.Errorf("line %d: a secret reference has exactly one of env and file", n.Line)
	}
	return nil
}

// resolver reads secret references and collects problems.
type resolver struct {
	l    *envconf.Loader
	errs []error
}

func (r *resolver) fail(provider, account, field, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s account %q: %s: %s", provider, account, field, fmt.Sprintf(format, args...)))
}

// secret resolves ref; "" when ref is nil.
func (r *resolver) secret(provider, account, field string, ref *secretRef) string {
	switch {
	case ref == nil:
		return ""
	case ref.File != "":
		b, err := os.ReadFile(ref.File)
		if err != nil {
			r.fail(provider, account, field, "%v", err)
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	v := r.l.Secret(ref.Env)
	if v == "" {
		r.fail(provider, account, field, "%s (or %s_FILE) is not set", ref.Env, ref.Env)
	}
	return v
}
