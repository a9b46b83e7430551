package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"

	"github.com/scangate/gateway/config"
)

// accountFlags are the flags that override the account settings of the config file.
type accountFlags struct {
	server, security, user, passwordFile, caFile, from, mech, pin string
}

func (a *accountFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.server, "server", "", "mail server host:port (account.server)")
	fs.StringVar(&a.security, "security", "", "starttls or tls (account.security)")
	fs.StringVar(&a.user, "user", "", "user name (account.user)")
	fs.StringVar(&a.passwordFile, "password-file", "", "file that holds the password (account.password_file)")
	fs.StringVar(&a.caFile, "ca-file", "", "PEM file of CAs to trust instead of the system's (account.ca_file)")
	fs.StringVar(&a.from, "from", "", "sender address (account.from)")
	fs.StringVar(&a.mech, "mech", "", "use only this SASL mechanism, for diagnosis (auth.mechanisms)")
	fs.StringVar(&a.pin, "pin", "", "SHA-256 fingerprint of the server's certificate (account.pin_sha256)")
}

func (a *accountFlags) apply(c *config.Config) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Account.Server, a.server)
	set(&c.Account.Security, a.security)
	set(&c.Account.User, a.user)
	if a.passwordFile != "" {
		c.Account.PasswordFile, c.Account.Password = a.passwordFile, ""
	}
	set(&c.Account.CAFile, a.caFile)
	set(&c.Account.From, a.from)
	set(&c.Account.PinSHA256, a.pin)
	if a.mech != "" {
		c.Auth.Mechanisms = []string{a.mech}
	}
}

// loadConfig reads the settings file named by -config, or config.DefaultPath when it exists; without either
// the built-in defaults stand. A file named with -config must exist.
func loadConfig(path string) (*config.Config, error) {
	cfg, _, missing, err := findConfig(path)
	switch {
	case missing && path != "":
		return nil, err
	case missing:
		return cfg, nil
	}
	return cfg, err
}

// findConfig reads the settings file named by -config, or config.DefaultPath, and returns where settings
// changed on the panel are saved. A missing file (missing set, err telling which) leaves the built-in
// defaults: run starts from them to be set up on the panel.
func findConfig(path string) (cfg *config.Config, savePath string, missing bool, err error) {
	if path == "" {
		path = config.DefaultPath
	}
	cfg, err = config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Default(), path, true, fmt.Errorf("config: %s: no such file", path)
	}
	return cfg, path, false, err
}
