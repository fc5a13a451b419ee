package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"time"
)

// qmpPoll is how often the run state is asked for.
const qmpPoll = 200 * time.Millisecond

// watchRunState connects to QEMU's QMP socket (retrying while QEMU starts)
// and asks for the run state every qmpPoll until ctx ends. The first state
// that means the guest no longer runs (internal-error, guest-panicked,
// io-error, paused, …; not shutdown, which ends QEMU anyway) is sent on
// stopped. A QEMU that never opens the socket leaves stopped silent: the
// stderr watch and the exit still end the boot.
func watchRunState(ctx context.Context, path string, stopped chan<- string) {
	var conn net.Conn
	for conn == nil {
		c, err := (&net.Dialer{}).DialContext(ctx, "unix", path)
		if err == nil {
			conn = c
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer conn.Close()
	go func() { <-ctx.Done(); conn.Close() }()
	r := bufio.NewReader(conn)
	ask := func(cmd string) (map[string]any, error) {
		if _, err := conn.Write([]byte(`{"execute":"` + cmd + `"}` + "\n")); err != nil {
			return nil, err
		}
		for { // skip the greeting and events until the answer
			line, err := r.ReadBytes('\n')
			if err != nil {
				return nil, err
			}
			var m map[string]any
			if json.Unmarshal(line, &m) != nil {
				continue
			}
			if ret, ok := m["return"].(map[string]any); ok {
				return ret, nil
			}
			if _, ok := m["error"]; ok {
				return nil, nil
			}
		}
	}
	if _, err := ask("qmp_capabilities"); err != nil {
		return
	}
	for {
		ret, err := ask("query-status")
		if err != nil {
			return
		}
		if st, _ := ret["status"].(string); guestStopped(st) {
			select {
			case stopped <- "QEMU stopped the guest (run state " + st + ")":
			case <-ctx.Done():
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(qmpPoll):
		}
	}
}

// guestStopped tells a run state in which the guest will never go on.
func guestStopped(st string) bool {
	switch st {
	case "", "running", "prelaunch", "inmigrate", "finish-migrate", "postmigrate", "save-vm", "restore-vm", "shutdown", "debug":
		return false
	}
	return true
}

// kvmFailureLines are what QEMU prints on stderr when KVM cannot run the
// guest (accel/kvm/kvm-all.c) or cannot start.
var kvmFailureLines = []string{
	"KVM internal error",
	"kvm run failed",
	"KVM: entry failed",
	"failed to initialize kvm",
	"failed to initialize KVM",
	"Could not access KVM kernel module",
}

// stderrWatch keeps the tail of QEMU's stderr and sends the first line
// that reports a KVM failure on kvmFailed.
type stderrWatch struct {
	tail      tailBuffer
	line      []byte
	kvmFailed chan string // buffered, 1
}

func newStderrWatch() *stderrWatch { return &stderrWatch{kvmFailed: make(chan string, 1)} }

func (s *stderrWatch) Write(p []byte) (int, error) {
	s.tail.Write(p)
	for _, c := range p {
		if c != '\n' {
			if len(s.line) < 4096 {
				s.line = append(s.line, c)
			}
			continue
		}
		s.check(string(s.line))
		s.line = s.line[:0]
	}
	return len(p), nil
}

func (s *stderrWatch) check(line string) {
	for _, k := range kvmFailureLines {
		if strings.Contains(line, k) {
			select {
			case s.kvmFailed <- strings.TrimSpace(line):
			default:
			}
			return
		}
	}
}
