// Package quickstart holds no code: its test copies the repository's
// tracked files into an empty folder and runs README.md's first command
// there, as a newcomer would after a fresh clone.
package quickstart
