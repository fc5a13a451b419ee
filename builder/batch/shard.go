package batch

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is part K of N (1-based) of an inventory, for spreading one
// inventory over N CI jobs. A host's shard depends on its id alone, so
// adding or removing a host moves only that host.
type Shard struct {
	K, N int
}

// MaxShards bounds N.
const MaxShards = 10000

// Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX (0-based); the count is
// the Job's .spec.completions, which the pod learns from JOB_COMPLETIONS
// when the Job sets it (see the README).
const (
	EnvIndex = "JOB_COMPLETION_INDEX"
	EnvCount = "JOB_COMPLETIONS"
)

// ParseShard reads "K/N", or "auto" from the environment (getenv).
func ParseShard(s string, getenv func(string) string) (Shard, error) {
	if s == "auto" {
		idx, cnt := getenv(EnvIndex), getenv(EnvCount)
		if idx == "" || cnt == "" {
			return Shard{}, fmt.Errorf("--shard auto: looked for %s (set by a Kubernetes Indexed Job) and %s (set it to the Job's completions); %s",
				EnvIndex, EnvCount, missing(map[string]string{EnvIndex: idx, EnvCount: cnt}))
		}
		i, err1 := strconv.Atoi(idx)
		n, err2 := strconv.Atoi(cnt)
		if err1 != nil || err2 != nil {
			return Shard{}, fmt.Errorf("--shard auto: %s=%q and %s=%q must be numbers", EnvIndex, idx, EnvCount, cnt)
		}
		s = fmt.Sprintf("%d/%d", i+1, n)
	}
	k, n, ok := strings.Cut(s, "/")
	K, err1 := strconv.Atoi(k)
	N, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("--shard %q: want K/N (e.g. 2/4) or auto", s)
	}
	if N < 1 || N > MaxShards || K < 1 || K > N {
		return Shard{}, fmt.Errorf("--shard %s: want 1 <= K <= N <= %d", s, MaxShards)
	}
	return Shard{K, N}, nil
}

func missing(vars map[string]string) string {
	var out []string
	for _, k := range []string{EnvIndex, EnvCount} {
		if vars[k] == "" {
			out = append(out, k+" is not set")
		}
	}
	return strings.Join(out, ", ")
}

// Has reports whether host id belongs to the shard.
func (s Shard) Has(id string) bool {
	if s.N <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(id)))
	return int(h.Sum64()%uint64(s.N)) == s.K-1
}

func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// ErrMerge is wrapped by Merge's refusals.
var ErrMerge = errors.New("manifests do not merge")
