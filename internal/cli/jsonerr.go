package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
)

// errorJSON is an error in the JSON schema. File and line (or, in a JSON
// inventory, element) are there when the error is located in a user's file.
type errorJSON struct {
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Element int    `json:"element,omitempty"`
	Code    int    `json:"code,omitempty"` // the exit status (top-level errors only)
}

// errorDoc is what a command prints on stdout under --json when it fails.
type errorDoc struct {
	SchemaVersion int       `json:"schema_version"`
	Error         errorJSON `json:"error"`
}

func newErrorJSON(err error) errorJSON {
	e := errorJSON{Message: err.Error()}
	if file, unit, n, ok := fileerr.Locate(err); ok {
		e.File = file
		switch unit {
		case "line":
			e.Line = n
		case "element":
			e.Element = n
		}
	}
	return e
}

// wantsJSON reports whether the command line asks for --json.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "--json=true", "--json=1":
			return true
		}
	}
	return false
}

// reportError prints err (a command's failure) and returns the exit
// status: under --json as an errorDoc on stdout, else on stderr.
func reportError(args []string, err error, stdout, stderr io.Writer) int {
	var ee *exitError
	code := 1
	if errors.As(err, &ee) {
		code = ee.code
	}
	switch {
	case ee != nil && (ee.err == nil || ee.inJSON && wantsJSON(args)):
		// the command has said it (usage, findings, a JSON report)
	case wantsJSON(args):
		e := newErrorJSON(err)
		e.Code = code
		if werr := writeJSON(stdout, errorDoc{SchemaVersion: schemaVersion, Error: e}); werr != nil {
			fmt.Fprintln(stderr, "esxi-autopart:", err)
		}
	default:
		fmt.Fprintln(stderr, "esxi-autopart:", err)
	}
	return code
}
