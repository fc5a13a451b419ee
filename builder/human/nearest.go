package human

import "strings"

// Nearest returns the word of known closest to w, for a "did you mean"
// after a mistake, or "" when none is close: the same word in another case,
// else one at most len(w)/3 edits away (two at most; swapping two
// neighbouring letters is one edit), else the only word w begins. Ties go
// to the first in known.
func Nearest(w string, known []string) string {
	lw := strings.ToLower(w)
	limit := min(2, len([]rune(w))/3)
	best, bestD := "", limit+1
	for _, k := range known {
		if d := editDistance(lw, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" || len(lw) < 3 {
		return best
	}
	for _, k := range known {
		if strings.HasPrefix(strings.ToLower(k), lw) {
			if best != "" {
				return "" // more than one
			}
			best = k
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of neighbouring letters that make a into b (optimal string alignment).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 99
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
