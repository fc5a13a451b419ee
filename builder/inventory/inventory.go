// Package inventory reads host inventories: one host a row, an id column
// that names the outputs, every column a template variable.
//
// It must not know templates, images or what a column means to ESXi.
package inventory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// MaxHosts bounds an inventory (and the memory reading it takes).
const MaxHosts = 100000

// maxBytes bounds the inventory file.
const maxBytes = 64 << 20

// MaxCells bounds hosts x columns: each cell becomes a map entry, some 30
// times its size in the file, so the file size alone does not bound the
// memory an inventory takes.
const MaxCells = 1 << 20

// Host is one row.
type Host struct {
	ID   string            // the id column: names <id>.img and <id>.cfg
	Line int               // line (CSV) or element (JSON, 1-based) it came from
	Vars map[string]string // every column, id included
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckID refuses ids that are not safe file names.
func CheckID(id string) error {
	if id == "" {
		return errors.New("empty id")
	}
	if !idRE.MatchString(id) || strings.Contains(id, "..") {
		return fmt.Errorf("id %q is not a safe file name (use letters, digits, '.', '_' and '-', at most 64, not starting with '.' or '-')", id)
	}
	return nil
}

// Read reads a CSV inventory, or JSON (an array of objects) when the file
// name ends in .json. When only some rows are bad (an unsafe or repeated
// id, a bad value, a wrong number of fields), it returns the good rows and
// a *BadRows naming every bad one; a caller that keeps going builds those.
func Read(path string) ([]Host, error) {
	f, err := regular.Open(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxBytes>>20)
	}
	var hosts []Host
	if Unit(path) == "element" {
		hosts, err = parseJSON(b)
	} else {
		hosts, err = ParseCSV(b)
	}
	var bad *BadRows
	if errors.As(err, &bad) {
		bad.File = path
		return hosts, bad
	}
	if err != nil {
		return nil, fileerr.In(path, err)
	}
	return hosts, nil
}

// ParseCSV parses a CSV inventory with a header row.
func ParseCSV(b []byte) ([]Host, error) {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")) // a BOM from spreadsheet exports
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = 0 // every row as long as the header
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("empty inventory: need a header row with an id column")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	if err := separator(header); err != nil {
		return nil, err
	}
	idCol := -1
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if err := config.CheckKey(h); err != nil {
			return nil, fileerr.At("line", 1, "column %d: %w", i+1, err)
		}
		if seen[h] {
			return nil, fileerr.At("line", 1, "column %q twice", h)
		}
		seen[h] = true
		if h == "id" {
			idCol = i
		}
	}
	if idCol < 0 {
		return nil, fileerr.At("line", 1, "no id column (header: %s)", strings.Join(header, ","))
	}
	var hosts []Host
	var bad []*fileerr.Error
	cells := len(header)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			bad = append(bad, csvErr(err).(*fileerr.Error))
			continue // the reader is past the row: the rest can still be read
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := r.FieldPos(0)
		if len(hosts) >= MaxHosts {
			return nil, fileerr.At("line", line, "more than %d hosts", MaxHosts)
		}
		if cells += len(rec); cells > MaxCells {
			return nil, fileerr.At("line", line, "more than %d cells (hosts x columns)", MaxCells)
		}
		h := Host{ID: strings.TrimSpace(rec[idCol]), Line: line, Vars: map[string]string{}}
		for i, v := range rec {
			h.Vars[header[i]] = strings.TrimSpace(v)
		}
		hosts = append(hosts, h)
	}
	return check(hosts, "line", bad)
}

// separator refuses a header that is one column holding another
// separator (a spreadsheet's export with ';' or a tab), naming it.
func separator(header []string) error {
	if len(header) != 1 {
		return nil
	}
	for _, sep := range []struct{ c, name string }{{";", "';'"}, {"\t", "a tab"}, {"|", "'|'"}} {
		if strings.Contains(header[0], sep.c) {
			return fileerr.At("line", 1, "the separator is %s, not ',': export the inventory as comma-separated values (or write it as .json)", sep.name)
		}
	}
	return nil
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fileerr.At("line", pe.StartLine, "wrong number of fields (the header has a different count)")
		}
		return &fileerr.Error{Unit: "line", N: pe.StartLine, Err: fmt.Errorf("column %d: %w", pe.Column, pe.Err)}
	}
	return err
}

// check refuses empty, unsafe and duplicate ids and bad values: it returns
// the good rows and, when some are bad (bad: rows already refused), a
// *BadRows naming them in row order.
func check(hosts []Host, unit string, bad []*fileerr.Error) ([]Host, error) {
	if len(hosts) == 0 && len(bad) == 0 {
		return nil, errors.New("no hosts")
	}
	first := map[string]int{}
	good := hosts[:0:0]
	for _, h := range hosts {
		if err := checkHost(h, unit, first); err != nil {
			bad = append(bad, err)
			continue
		}
		good = append(good, h)
	}
	if len(bad) > 0 {
		slices.SortStableFunc(bad, func(a, b *fileerr.Error) int { return a.N - b.N })
		return good, &BadRows{Rows: bad}
	}
	return good, nil
}

// checkHost checks one row; first maps the ids seen so far (lower case)
// to their rows.
func checkHost(h Host, unit string, first map[string]int) *fileerr.Error {
	if err := CheckID(h.ID); err != nil {
		return &fileerr.Error{Unit: unit, N: h.Line, Err: err}
	}
	key := strings.ToLower(h.ID) // images/<id>.img must not collide on case-insensitive filesystems
	if l, ok := first[key]; ok {
		return fileerr.At(unit, h.Line, "id %q already used on %s %d", h.ID, unit, l).(*fileerr.Error)
	}
	first[key] = h.Line
	keys := make([]string, 0, len(h.Vars))
	for k := range h.Vars {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same row always reports the same value
	for _, k := range keys {
		if err := config.CheckVariable(k, h.Vars[k]); err != nil {
			return &fileerr.Error{Unit: unit, N: h.Line, Err: fmt.Errorf("host %s: %w", h.ID, err)}
		}
	}
	return nil
}

// BadRows are the rows of an inventory that cannot be built, in order.
type BadRows struct {
	File string
	Rows []*fileerr.Error // each without File
}

func (b *BadRows) Error() string {
	lines := make([]string, len(b.Rows))
	for i, r := range b.Rows {
		lines[i] = b.at(r).Error()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d bad rows:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// Unwrap gives the first bad row, located in the file.
func (b *BadRows) Unwrap() error { return b.at(b.Rows[0]) }

// Each returns every bad row as an error located in the file.
func (b *BadRows) Each() []error {
	out := make([]error, len(b.Rows))
	for i, r := range b.Rows {
		out[i] = b.at(r)
	}
	return out
}

func (b *BadRows) at(r *fileerr.Error) *fileerr.Error {
	if b.File == "" {
		return r
	}
	return &fileerr.Error{File: b.File, Unit: r.Unit, N: r.N, Err: r.Err}
}

// Unit is what a Host's Line counts in the inventory at path: "element"
// (1-based) of a .json array, else "line" of a CSV file.
func Unit(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return "element"
	}
	return "line"
}
