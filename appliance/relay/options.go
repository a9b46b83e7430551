package relay

import (
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/internal/secret"
)

// OptionsFrom makes the relay's options from the settings' [relay] (cfg.Relay, which must not be nil): the
// users' passwords are read from their files now. The certificate the gateway makes is kept in spool.dir. The
// caller adds the logger and the hooks.
func OptionsFrom(cfg *config.Config) (Options, error) {
	rc := cfg.Relay
	allow, err := rc.AllowedPrefixes()
	if err != nil {
		return Options{}, err
	}
	o := Options{Listen: append([]string(nil), rc.Listen...), Allow: allow, LegacyTLS: rc.LegacyTLS,
		CertFile: rc.CertFile, KeyFile: rc.KeyFile, StateDir: cfg.Spool.Dir}
	if len(rc.Users) > 0 {
		o.Users = map[string]secret.Secret{}
	}
	for _, u := range rc.Users {
		p, err := u.PasswordValue()
		if err != nil {
			return Options{}, err
		}
		o.Users[u.Name] = p
	}
	return o, nil
}
