//go:build !linux

package fileio

func renameNoReplaceOS(old, path string) error { return errNoRenameNoReplace }
