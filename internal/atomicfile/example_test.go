package atomicfile_test

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/scangate/gateway/internal/atomicfile"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "seq")

	err = atomicfile.WriteFile(path, 0o600, func(f *os.File) error {
		_, err := fmt.Fprintf(f, "%d\n", 42)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Printf("%q\n", b)
	// Output: "42\n"
}

func ExampleCreate() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	p, err := atomicfile.Create(dir, ".incoming-*")
	if err != nil {
		log.Fatal(err)
	}
	// Abort removes the file unless it was committed.
	defer p.Abort()
	// The bytes arrive over time.
	for _, part := range []string{"first part, ", "second part"} {
		if _, err := io.WriteString(p.File(), part); err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Commit(filepath.Join(dir, "scan.tif"), 0o600); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "scan.tif"))
	fmt.Println(string(b))
	// Output: first part, second part
}
