package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
)

// parseJSON parses an array of flat objects token by token, so that hosts
// and cells are counted (MaxHosts, MaxCells) before they take memory. A
// number is kept as it is written (json.Number), never through a float64:
// 2000000 would print as 2e+06, 12345678901234567890 lose its last digits,
// 1.0 become 1, and the kickstart get a value the inventory does not hold.
func parseJSON(b []byte) ([]Host, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, errors.New("want a JSON array of objects")
	}
	var hosts []Host
	cells := 0
	for dec.More() {
		i := len(hosts) + 1
		if i > MaxHosts {
			return nil, fmt.Errorf("more than %d hosts", MaxHosts)
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, fileerr.At("element", i, "want an object of strings, numbers and booleans")
		}
		h := Host{Line: i, Vars: map[string]string{}}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fileerr.At("element", i, "%w", jsonErr(err))
			}
			k, _ := tok.(string) // object keys are always strings
			if err := checkKeyJSON(k, h.Vars); err != nil {
				return nil, fileerr.At("element", i, "%w", err)
			}
			if cells++; cells > MaxCells {
				return nil, fileerr.At("element", i, "more than %d cells (hosts x keys)", MaxCells)
			}
			if tok, err = dec.Token(); err != nil {
				return nil, fileerr.At("element", i, "%w", jsonErr(err))
			}
			switch v := tok.(type) {
			case string:
				h.Vars[k] = v
			case json.Number:
				h.Vars[k] = v.String()
			case bool:
				h.Vars[k] = fmt.Sprint(v)
			default:
				return nil, fileerr.At("element", i, "%q must be a string, number or boolean", k)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing '}'
			return nil, fileerr.At("element", i, "%w", jsonErr(err))
		}
		h.ID = h.Vars["id"]
		hosts = append(hosts, h)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, fmt.Errorf("want a JSON array of objects: %w", jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("want a JSON array of objects: data after the array")
	}
	return check(hosts, "element", nil)
}

// checkKeyJSON checks an object key: a template variable name, once.
func checkKeyJSON(k string, seen map[string]string) error {
	if _, dup := seen[k]; dup {
		return fmt.Errorf("%q twice", k)
	}
	return config.CheckKey(k)
}

// jsonErr names a premature end.
func jsonErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
