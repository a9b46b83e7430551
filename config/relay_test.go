package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const relayExample = `
[relay]
listen = ["0.0.0.0:587", "[::]:587"]
allow = ["192.168.1.0/24", "10.0.0.7"]
max_mb = 20
legacy_tls = true
bounce = true

[[relay.user]]
name = "mfp"
password_file = "/etc/scangate/relay-mfp"

[[relay.user]]
name = "copier"
password_file = "/etc/scangate/relay-copier"
`

func TestRelayLoad(t *testing.T) {
	c, err := Load(write(t, example+relayExample))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(true); err != nil {
		t.Fatal(err)
	}
	r := c.Relay
	if r == nil || !reflect.DeepEqual([]string(r.Listen), []string{"0.0.0.0:587", "[::]:587"}) || r.MaxBytes() != 20<<20 ||
		!r.LegacyTLS || !r.Bounce || len(r.Users) != 2 || r.Users[1] != (RelayUser{"copier", "/etc/scangate/relay-copier"}) {
		t.Fatalf("relay %+v", r)
	}
	if !r.RewritesFrom() {
		t.Error("rewrite_from is on unless the file turns it off")
	}
	nets, err := r.AllowedPrefixes()
	if err != nil || len(nets) != 2 || !nets[0].Contains(netip.MustParseAddr("192.168.1.77")) || nets[1] != netip.MustParsePrefix("10.0.0.7/32") {
		t.Errorf("allow %v, %v", nets, err)
	}

	// One address as a plain string; rewrite_from turned off.
	c, err = Load(write(t, example+"[relay]\nlisten = \":2525\"\nrewrite_from = false\nallow = [\"127.0.0.1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(true); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual([]string(c.Relay.Listen), []string{":2525"}) || c.Relay.RewritesFrom() {
		t.Errorf("relay %+v", c.Relay)
	}

	// No [relay]: no port.
	c, _ = Load(write(t, example))
	if c.Relay != nil {
		t.Errorf("relay without a section: %+v", c.Relay)
	}
	if _, err := Load(write(t, example+"[relay]\nlisten = 587\n")); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("listen = 587: %v", err)
	}
	if _, err := Load(write(t, example+"[relay]\nlisen = [\":587\"]\n")); err == nil || !strings.Contains(err.Error(), "unknown setting relay.lisen") {
		t.Errorf("misspelt key: %v", err)
	}
}

func TestRelayValidate(t *testing.T) {
	for _, tt := range []struct {
		edit func(*Relay)
		want string
	}{
		{func(r *Relay) { r.Listen = nil }, "relay.listen: missing"},
		{func(r *Relay) { r.Listen = Addrs{"0.0.0.0"} }, `relay.listen[0]: "0.0.0.0" is not host:port`},
		{func(r *Relay) { r.Listen = Addrs{"0.0.0.0:0"} }, `relay.listen[0]: port "0" out of range`},
		{func(r *Relay) { r.Listen = Addrs{":587", ":587"} }, `relay.listen[1]: ":587" is given twice`},
		{func(r *Relay) { r.Allow = []string{"192.168.1.0/33"} }, "relay.allow[0]"},
		{func(r *Relay) { r.Allow = []string{"printers"} }, `relay.allow[0]: "printers" is neither a network`},
		{func(r *Relay) { r.MaxMB = -1 }, "relay.max_mb: must not be negative"},
		{func(r *Relay) { r.CertFile = "/c.pem" }, "relay.cert_file: cert_file and key_file go together"},
		{func(r *Relay) { r.KeyFile = "/k.pem" }, "relay.cert_file"},
		{func(r *Relay) { r.Users[0].Name = "" }, "relay.user[0].name: missing"},
		{func(r *Relay) { r.Users[1].Name = "mfp" }, `relay.user[1].name: "mfp" is given twice`},
		{func(r *Relay) { r.Users[0].PasswordFile = "" }, "relay.user[0].password_file: missing"},
		{func(r *Relay) { r.Users, r.Allow = nil, nil }, "relay.allow: nobody may relay"},
	} {
		c, err := Load(write(t, example+relayExample))
		if err != nil {
			t.Fatal(err)
		}
		tt.edit(c.Relay)
		err = c.Validate(true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate = %v, want %q", err, tt.want)
		}
	}
}

// The user's password comes from a private file, read at use.
func TestRelayUserPassword(t *testing.T) {
	p := filepath.Join(t.TempDir(), "relay-mfp")
	os.WriteFile(p, []byte("s3cret\n"), 0o600)
	pw, err := RelayUser{Name: "mfp", PasswordFile: p}.PasswordValue()
	if err != nil || pw.Reveal() != "s3cret" {
		t.Fatalf("%q, %v", pw.Reveal(), err)
	}
	os.Chmod(p, 0o644)
	if _, err := (RelayUser{Name: "mfp", PasswordFile: p}).PasswordValue(); err == nil || !strings.Contains(err.Error(), "relay.user mfp") {
		t.Errorf("world-readable password file: %v", err)
	}
}

// A panel save keeps [relay] as it was.
func TestSaveKeepsRelay(t *testing.T) {
	path := write(t, example+relayExample)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	c.Relay.RewriteFrom = &off
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Relay, c.Relay) || got.Relay.RewritesFrom() {
		t.Fatalf("[relay] after a save: %+v, was %+v", got.Relay, c.Relay)
	}
}
