package qemu

import (
	"reflect"
	"regexp"
	"testing"
)

func TestWatcher(t *testing.T) {
	res := func(ss ...string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, s := range ss {
			out = append(out, regexp.MustCompile(s))
		}
		return out
	}
	tests := []struct {
		name   string
		expect []*regexp.Regexp
		chunks []string
		flush  bool
		want   []string
	}{
		{"in order across chunks", res(`A: \w+`, `B=\d+`), []string{"xx A: o", "ne\r\nB=1", "2\r\n"}, false,
			[]string{"A: one", "B=12"}},
		{"order matters", res(`B`, `A`), []string{"A\nB\n"}, false, []string{"B"}},
		{"a match starts after the previous one", res(`x`, `x`), []string{"x\n"}, false, []string{"x"}},
		{"same line, two patterns", res(`a`, `b`), []string{"ab\n"}, false, []string{"a", "b"}},
		{"partial line waits for its newline", res(`done$`), []string{"don", "e"}, false, nil},
		{"partial line matched after exit", res(`(?m)done$`), []string{"don", "e"}, true, []string{"done"}},
		{"carriage returns removed", res(`(?m)^ok$`), []string{"ok\r\n"}, false, []string{"ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &watcher{expect: tc.expect}
			for _, c := range tc.chunks {
				w.feed([]byte(c))
			}
			if tc.flush {
				w.flush()
			}
			if !reflect.DeepEqual(w.matched, tc.want) {
				t.Errorf("matched %q, want %q", w.matched, tc.want)
			}
		})
	}
}

func TestWatcherBounded(t *testing.T) {
	w := &watcher{expect: []*regexp.Regexp{regexp.MustCompile(`never`)}}
	line := make([]byte, 64<<10)
	for i := range line {
		line[i] = 'z'
	}
	for i := 0; i < 40; i++ {
		w.feed(line)
	}
	w.feed([]byte("\n"))
	if len(w.text) > maxUnmatched || len(w.partial) > maxUnmatched || len(w.tail) > ConsoleTail {
		t.Errorf("buffers grew: text %d partial %d tail %d", len(w.text), len(w.partial), len(w.tail))
	}
}
