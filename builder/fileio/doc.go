// Package fileio holds the operating-system-level file work the builder
// relies on for speed: reusable huge-page buffers (arenas), in-kernel
// copies (copy_file_range), clones that share extents (FICLONE) and the
// data/hole map of sparse files (SEEK_DATA/SEEK_HOLE). Each has a portable
// fallback; none of them changes what a file ends up holding.
//
// It must not know images, FAT or ESXi: it moves bytes between files.
package fileio
