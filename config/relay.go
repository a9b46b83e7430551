package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/scangate/gateway/internal/secret"
)

// Relay is the relay port: an SMTP listener on which the office's network MFPs submit their scan-to-email.
// Each message accepted there becomes a job like a scan and leaves through the account.
type Relay struct {
	// Listen is the addresses to listen on, "host:port" (an empty host listens on every address), e.g.
	// ["0.0.0.0:587"]. The file may give one address as a plain string.
	Listen Addrs `toml:"listen"`
	// Allow lists the hosts that may relay without a login: networks in CIDR form ("192.168.1.0/24") or
	// single addresses.
	Allow []string `toml:"allow,omitempty"`
	// MaxMB is the largest message accepted, in MiB; 0 means what the mail server's SIZE allows (25 MiB
	// until the gateway has seen it).
	MaxMB int `toml:"max_mb,omitempty"`
	// RewriteFrom makes the envelope sender and the From: header the account's, and moves the machine's From:
	// to Reply-To (unless the mail has one), because providers such as Microsoft 365 refuse other senders.
	// Absent means true; see RewritesFrom.
	RewriteFrom *bool `toml:"rewrite_from,omitempty"`
	// LegacyTLS accepts TLS 1.0 and 1.1 on this port, for old machines.
	LegacyTLS bool `toml:"legacy_tls,omitempty"`
	// CertFile and KeyFile name the PEM certificate and key of the port; without them the gateway makes a
	// certificate at its first start.
	CertFile string `toml:"cert_file,omitempty"`
	KeyFile  string `toml:"key_file,omitempty"`
	// Bounce reports a permanent failure of a relayed mail, found after it was accepted, to its sender by a
	// delivery status notification sent through the account.
	Bounce bool `toml:"bounce,omitempty"`
	// Users may relay after AUTH, from anywhere.
	Users []RelayUser `toml:"user,omitempty"`
}

// RelayUser is a login of the relay port.
type RelayUser struct {
	Name string `toml:"name"`
	// PasswordFile names a file (chmod 600) that holds the password; see PasswordValue.
	PasswordFile string `toml:"password_file"`
}

// Addrs is a list of listen addresses that the file may also give as one string.
type Addrs []string

// UnmarshalTOML accepts "host:port" or ["host:port", ...].
func (a *Addrs) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*a = Addrs{v}
	case []any:
		out := make(Addrs, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("listen: %v is not a string", e)
			}
			out = append(out, s)
		}
		*a = out
	default:
		return fmt.Errorf("listen: want an address or a list of addresses, not %T", v)
	}
	return nil
}

// RewritesFrom reports whether relayed mail takes the account's sender (the default).
func (r *Relay) RewritesFrom() bool { return r.RewriteFrom == nil || *r.RewriteFrom }

// MaxBytes is max_mb in bytes, 0 when not set.
func (r *Relay) MaxBytes() int64 { return int64(r.MaxMB) << 20 }

// AllowedPrefixes returns Allow as networks; a single address is a network of one.
func (r *Relay) AllowedPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(r.Allow))
	for i, s := range r.Allow {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("config: relay.allow[%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a network (e.g. 192.168.1.0/24)", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither a network (e.g. 192.168.1.0/24) nor an address", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// PasswordValue reads the user's password file (see ReadSecretFile); one trailing newline is dropped.
func (u RelayUser) PasswordValue() (secret.Secret, error) {
	b, err := ReadSecretFile("relay.user "+u.Name+": password_file", u.PasswordFile)
	if err != nil {
		return "", err
	}
	return secret.Secret(strings.TrimSuffix(strings.TrimSuffix(b, "\n"), "\r")), nil
}

// validate checks what the file alone can tell of [relay]; the password files are read when the port opens.
func (r *Relay) validate(bad Bad) {
	if len(r.Listen) == 0 {
		bad("relay.listen", `missing (the addresses to listen on, e.g. ["0.0.0.0:587"])`)
	}
	seen := map[string]bool{}
	for i, a := range r.Listen {
		key := fmt.Sprintf("relay.listen[%d]", i)
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			bad(key, "%q is not host:port", a)
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			bad(key, "port %q out of range 1-65535", port)
		}
		if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
			bad(key, "%q is not a host name or address", host)
		}
		if seen[a] {
			bad(key, "%q is given twice", a)
		}
		seen[a] = true
	}
	for i, s := range r.Allow {
		if _, err := parsePrefix(s); err != nil {
			bad(fmt.Sprintf("relay.allow[%d]", i), "%v", err)
		}
	}
	if r.MaxMB < 0 {
		bad("relay.max_mb", "must not be negative (0: what the mail server allows)")
	}
	if (r.CertFile == "") != (r.KeyFile == "") {
		bad("relay.cert_file", "cert_file and key_file go together")
	}
	names := map[string]bool{}
	for i, u := range r.Users {
		key := fmt.Sprintf("relay.user[%d]", i)
		if u.Name == "" {
			bad(key+".name", "missing")
		} else if names[u.Name] {
			bad(key+".name", "%q is given twice", u.Name)
		}
		names[u.Name] = true
		if u.PasswordFile == "" {
			bad(key+".password_file", "missing (a file, chmod 600, that holds the password)")
		}
	}
	if len(r.Allow) == 0 && len(r.Users) == 0 {
		bad("relay.allow", "nobody may relay: add the machines' network to allow, or a [[relay.user]]")
	}
}
