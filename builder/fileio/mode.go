package fileio

import "os"

// Mode is the mode of an output: 0600 when it holds a secret (a kickstart,
// whose rootpw is the installed host's root password, or an image or a
// compressed image or a bmap made from one that carries it), else 0644;
// in both cases less the bits the user's umask takes away. Outputs are
// made as 0600 temporaries and set to their mode with chmod(2), which does
// not apply the umask: without it, a user whose umask is 077 would still
// get files every user can read.
func Mode(secret bool) os.FileMode {
	m := os.FileMode(0o644)
	if secret {
		m = 0o600
	}
	return m &^ umask
}

// umask is the process's umask, read once at start (before any goroutine
// creates files: umask(2) can only be read by setting it).
var umask = readUmask()
