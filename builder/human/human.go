// Package human formats numbers the way messages show them to people.
//
// It must not know what the numbers measure.
package human

import "strconv"

// Commas formats v with thousands separators: 72206398 -> "72,206,398".
func Commas[T ~int | ~int64 | ~uint64 | ~uint32 | ~uint16 | ~uint8](v T) string {
	var s string
	if v < 0 {
		s = strconv.FormatInt(int64(v), 10)[1:]
	} else {
		s = strconv.FormatUint(uint64(v), 10)
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if v < 0 {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
