// Package inventory reads host inventories: one host a row, an id column
// that names the outputs, every column a template variable.
package inventory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/config"
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
// name ends in .json.
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
	if strings.EqualFold(filepath.Ext(path), ".json") {
		hosts, err = parseJSON(b)
	} else {
		hosts, err = ParseCSV(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
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
	idCol := -1
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if err := config.CheckKey(h); err != nil {
			return nil, fmt.Errorf("line 1, column %d: %w", i+1, err)
		}
		if seen[h] {
			return nil, fmt.Errorf("line 1: column %q twice", h)
		}
		seen[h] = true
		if h == "id" {
			idCol = i
		}
	}
	if idCol < 0 {
		return nil, fmt.Errorf("line 1: no id column (header: %s)", strings.Join(header, ","))
	}
	var hosts []Host
	cells := len(header)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := r.FieldPos(0)
		if len(hosts) >= MaxHosts {
			return nil, fmt.Errorf("line %d: more than %d hosts", line, MaxHosts)
		}
		if cells += len(rec); cells > MaxCells {
			return nil, fmt.Errorf("line %d: more than %d cells (hosts x columns)", line, MaxCells)
		}
		h := Host{ID: strings.TrimSpace(rec[idCol]), Line: line, Vars: map[string]string{}}
		for i, v := range rec {
			h.Vars[header[i]] = strings.TrimSpace(v)
		}
		hosts = append(hosts, h)
	}
	return hosts, check(hosts, "line")
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("line %d: wrong number of fields (the header has a different count)", pe.StartLine)
		}
		return fmt.Errorf("line %d, column %d: %w", pe.StartLine, pe.Column, pe.Err)
	}
	return err
}

// check refuses empty, unsafe and duplicate ids and bad values.
func check(hosts []Host, unit string) error {
	if len(hosts) == 0 {
		return errors.New("no hosts")
	}
	first := map[string]int{}
	for _, h := range hosts {
		if err := CheckID(h.ID); err != nil {
			return fmt.Errorf("%s %d: %w", unit, h.Line, err)
		}
		key := strings.ToLower(h.ID) // images/<id>.img must not collide on case-insensitive filesystems
		if l, ok := first[key]; ok {
			return fmt.Errorf("%s %d: id %q already used on %s %d", unit, h.Line, h.ID, unit, l)
		}
		first[key] = h.Line
		for k, v := range h.Vars {
			if err := config.CheckValue(k, v); err != nil {
				return fmt.Errorf("%s %d (id %s): %w", unit, h.Line, h.ID, err)
			}
		}
	}
	return nil
}
