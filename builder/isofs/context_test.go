package isofs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// cancelAt cancels on its first read.
type cancelAt struct {
	ra     io.ReaderAt
	cancel func()
}

func (c cancelAt) ReadAt(p []byte, off int64) (int, error) {
	c.cancel()
	return c.ra.ReadAt(p, off)
}

// TestOpenContext: a context that ends while the tree is walked stops the
// walk with its error; one that ended before opens nothing; one that does
// not end opens the image.
func TestOpenContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "esxi.iso")
	if err := isogen.Write(path, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := read(ctxReaderAt{ctx, cancelAt{f, cancel}}, st.Size(), path); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the walk: %v, want context.Canceled", err)
	}
	if _, err := OpenContext(ctx, path); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v, want context.Canceled", err)
	}
	im, err := OpenContext(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if _, ok := im.ra.(*os.File); !ok {
		t.Errorf("the image reads through %T, want the *os.File (copy_file_range)", im.ra)
	}
}
