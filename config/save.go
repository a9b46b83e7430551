package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/scangate/gateway/internal/atomicfile"
)

// writeFile is atomicfile.WriteFile; tests replace it to cut the power at the worst moment.
var writeFile = atomicfile.WriteFile

// Save writes the settings to path so that a power cut at any moment leaves either the old file or the new one,
// never a mix: the new settings go to a temporary file beside it (mode 0600: it may hold the password), which is
// synced and renamed over the old one, and the directory is synced. When the directory cannot be synced, Save
// returns an error although the new settings are in place: a power cut may still bring the old ones back.
// Comments of a hand-written file are not kept.
func (c *Config) Save(path string) error {
	var b bytes.Buffer
	b.WriteString("# Scangate gateway settings, written by the gateway.\n\n")
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { // a first boot may find no settings directory
		return fmt.Errorf("config: saving %s: %w", path, err)
	}
	err := writeFile(path, 0o600, func(f *os.File) error {
		_, err := f.Write(b.Bytes())
		return err
	})
	if err != nil {
		return fmt.Errorf("config: saving %s: %w", path, err)
	}
	return nil
}
