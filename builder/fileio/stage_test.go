package fileio

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestStage: a live stage survives another run's cleanup; Publish moves a
// file out (replacing only when told to); Remove leaves nothing; a dead
// run's stage is removed by the next CreateStage.
func TestStage(t *testing.T) {
	out := t.TempDir()
	s, err := CreateStage(out)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Remove()
	for _, name := range []string{"a.img", "b.img"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte("new"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "b.img"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	RemoveStaleStages(out) // another run starting: s is locked, so it stays
	if _, err := os.Stat(s.Dir()); err != nil && runtime.GOOS == "linux" {
		t.Fatalf("a live stage was removed: %v", err)
	}
	if err := s.Publish("a.img", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish("b.img", false); !errors.Is(err, os.ErrExist) {
		t.Errorf("publish over b.img without replace: %v", err)
	}
	if err := s.Publish("b.img", true); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.img", "b.img"} {
		if b, _ := os.ReadFile(filepath.Join(out, name)); string(b) != "new" {
			t.Errorf("%s = %q", name, b)
		}
	}
	s.Remove()
	s.Remove()
	if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}

	dead := filepath.Join(out, stagePrefix+"dead")
	if err := os.MkdirAll(filepath.Join(dead, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	s2, err := CreateStage(out)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Remove()
	if _, err := os.Stat(dead); err == nil && runtime.GOOS == "linux" {
		t.Error("a dead run's stage was kept")
	}
}
