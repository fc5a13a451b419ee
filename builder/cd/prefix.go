package cd

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"os"
	"sort"
)

// The copy's first Plan.Prefix bytes are the input's with the rewrites
// that do not depend on the host (Plan), so the SHA-256's state after
// them is the same for every host planned with the same rewrites there.
// A Source computes it once, from the input (the kernel copies those
// bytes; they are not read back, as cp does not), and each host hashes
// only its part after the prefix from it.

// ErrInputChanged: the input's size or times changed between Open and the
// end of a copy: what was copied, hashed or remembered may mix old and new
// bytes.
var ErrInputChanged = errors.New("the input changed while it was read")

// unchanged refuses an input whose size or times differ from when it was
// opened.
func (s *Source) unchanged() error {
	fi, err := s.file.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", s.Path, err)
	}
	if now := identity(fi); now != s.id {
		return fmt.Errorf("%s: %w (opened: %s; now: %s); run again once nothing writes it", s.Path, ErrInputChanged, s.id, now)
	}
	return nil
}

// prefixHash is the SHA-256 state after one prefix, being computed or done.
type prefixHash struct {
	done  chan struct{}
	state []byte // a crypto/sha256 state (MarshalBinary)
	err   error
}

// prefixKey names the prefix's bytes: the rewrites before it (sector and
// bytes) and its length; the input is the Source's (unchanged since Open:
// Source.unchanged).
func (p *Plan) prefixKey() string {
	h := sha256.New()
	h.Write([]byte("esxi-autopart cd prefix 1\x00"))
	binary.Write(h, binary.BigEndian, p.Prefix)
	var ns []uint32
	for n := range p.ov.sectors {
		if int64(n)*Sector < p.Prefix {
			ns = append(ns, n)
		}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	for _, n := range ns {
		binary.Write(h, binary.BigEndian, n)
		h.Write(p.ov.sectors[n])
	}
	return string(h.Sum(nil))
}

// startPrefix returns the prefix's hash, starting it on another goroutine
// (under ctx) unless it is done or under way.
func (s *Source) startPrefix(ctx context.Context, p *Plan) *prefixHash {
	key := p.prefixKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.prefixes[key]; e != nil {
		return e
	}
	e := &prefixHash{done: make(chan struct{})}
	s.prefixes[key] = e
	go func() {
		defer close(e.done)
		e.state, e.err = p.hashPrefix(ctx)
		if e.err != nil { // not remembered: the next host starts again
			s.mu.Lock()
			delete(s.prefixes, key)
			s.mu.Unlock()
		}
	}()
	return e
}

// prefixState waits for the prefix's hash; when the host that started it
// stopped, it starts again under ctx.
func (s *Source) prefixState(ctx context.Context, p *Plan, e *prefixHash) (hash.Hash, error) {
	for {
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			h := sha256.New()
			if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(e.state); err != nil {
				return nil, err
			}
			return h, nil
		}
		if ctx.Err() != nil || !errors.Is(e.err, context.Canceled) {
			return nil, e.err
		}
		e = s.startPrefix(ctx, p)
	}
}

// prefixChunk is one read of the input while hashing the prefix.
const prefixChunk = 512 << 10

// hashPrefix hashes the copy's first Prefix bytes as the plan makes them
// (the input's, with the rewrites) and returns the state.
func (p *Plan) hashPrefix(ctx context.Context) ([]byte, error) {
	p.src.prefixRuns.Add(1)
	h := sha256.New()
	buf := make([]byte, prefixChunk)
	for off := int64(0); off < p.Prefix; off += prefixChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := buf[:min(prefixChunk, p.Prefix-off)]
		if err := p.ov.readAt(b, off); err != nil {
			return nil, fmt.Errorf("reading %s at byte %d: %w", p.ISO, off, err)
		}
		h.Write(b)
	}
	return h.(encoding.BinaryMarshaler).MarshalBinary()
}

// statSize is the size of what r is, when it can say (an *os.File).
func statSize(r any) (int64, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, false
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}
