package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// rename is os.Rename; tests replace it to cut the power at the worst moment.
var rename = os.Rename

// Save writes the settings to path so that a power cut at any moment leaves either the old file or the new one,
// never a mix: the new settings go to a temporary file beside it (mode 0600: it may hold the password), which is
// synced and renamed over the old one, and the directory is synced. Comments of a hand-written file are not
// kept.
func (c *Config) Save(path string) error {
	var b bytes.Buffer
	b.WriteString("# Scangate gateway settings, written by the gateway.\n\n")
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil { // a first boot may find no settings directory
		return fmt.Errorf("config: saving %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("config: saving %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
