package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestStaleFilesContext: an earlier run's image that still holds its bytes
// is stale; with the context ended StaleFiles says so instead of answering
// "none" (a hash cut short is not a mismatch).
func TestStaleFilesContext(t *testing.T) {
	dir := t.TempDir()
	body := make([]byte, 3<<20)
	body[len(body)-1] = 1
	sum := sha256.Sum256(body)
	if err := os.WriteFile(filepath.Join(dir, "old01.img"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	m := fmt.Sprintf(`{"tool":"esxi-autopart","hosts":[{"id":"old01","image":"old01.img","bytes":%d,"sha256":%q}]}`, len(body), hex.EncodeToString(sum[:]))
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := StaleFiles(context.Background(), dir, nil)
	if err != nil || !slices.Equal(got, []string{"old01.img"}) {
		t.Fatalf("StaleFiles = %q, %v; want old01.img", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := StaleFiles(ctx, dir, nil); !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("cancelled: StaleFiles = %q, %v; want context.Canceled", got, err)
	}
	if holds(ctx, filepath.Join(dir, "old01.img"), hex.EncodeToString(sum[:]), int64(len(body))) {
		t.Errorf("holds with the context ended hashed the file anyway")
	}
}
