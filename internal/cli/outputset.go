package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// outputSet holds one build's outputs (image, kickstart, --mbr-out, bmap,
// compressed image) in temporary files until every one is complete and
// verified; only then does publish put them in place, the image last. A
// failure before that leaves every old output as it was.
type outputSet struct {
	items []pending
}

// pending is an output waiting in a temporary file.
type pending interface {
	Publish() error
	Discard()
}

// stage writes b into a temporary file for path (mode mode) and adds it.
func (s *outputSet) stage(path string, b []byte, mode os.FileMode, force bool) error {
	t, err := s.temp(path, force)
	if err != nil {
		return err
	}
	if _, err := t.Write(b); err != nil {
		t.Discard()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return s.add(t, path, mode, force)
}

// temp makes the temporary file for path; add it with add once written.
func (s *outputSet) temp(path string, force bool) (*fileio.Temp, error) {
	if err := builder.CheckOutput(path, force); err != nil {
		return nil, err
	}
	t, err := fileio.CreateTemp(fileio.Folder(path), filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return t, nil
}

// add takes the written temporary file t for path.
func (s *outputSet) add(t *fileio.Temp, path string, mode os.FileMode, force bool) error {
	if err := t.Chmod(mode); err != nil {
		t.Discard()
		return fmt.Errorf("output %s: %w", path, err)
	}
	s.items = append(s.items, &stagedFile{t: t, path: path, force: force})
	return nil
}

// addImage takes a pending image; it is published after everything else.
func (s *outputSet) addImage(p *builder.Pending) { s.items = append(s.items, p) }

// publish puts every output in place, in the order added but images last,
// unless ctx has ended (a signal during the last step): then nothing is.
func (s *outputSet) publish(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		var names []string
		for _, it := range s.items {
			switch it := it.(type) {
			case *stagedFile:
				names = append(names, it.path)
			case *builder.Pending:
				names = append(names, it.Path)
			}
		}
		return fmt.Errorf("%s: not put in place: %w", strings.Join(names, ", "), err)
	}
	var images []pending
	for _, it := range s.items {
		if _, ok := it.(*builder.Pending); ok {
			images = append(images, it)
			continue
		}
		if err := it.Publish(); err != nil {
			return err
		}
	}
	for _, it := range images {
		if err := it.Publish(); err != nil {
			return err
		}
	}
	return nil
}

// discard drops whatever was not published; it may follow publish.
func (s *outputSet) discard() {
	for _, it := range s.items {
		it.Discard()
	}
}

// stagedFile is a small output (kickstart, MBR code, bmap, compressed
// image) in a temporary file.
type stagedFile struct {
	t     *fileio.Temp
	path  string
	force bool
}

func (f *stagedFile) Publish() error {
	if err := builder.CheckOutput(f.path, f.force); err != nil { // it may have appeared meanwhile
		return err
	}
	if err := f.t.Publish(f.path, f.force); err != nil {
		return fmt.Errorf("output %s: %w", f.path, err)
	}
	return f.t.Close()
}

func (f *stagedFile) Discard() { f.t.Discard() }
