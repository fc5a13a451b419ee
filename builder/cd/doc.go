// Package cd makes a per-host copy of a bootable ISO 9660 image (an ESXi
// install CD for a BMC's virtual media): a few files replaced or added,
// everything else where the input has it.
//
// The copy keeps the input's layout: the whole image is cloned (a reflink
// where the file system shares extents, else copy_file_range), each
// changed file's data is appended after the input's last sector, and only
// the directory records that point at it, the root folder (when a file is
// added), the path tables (when the root moves) and the volume
// descriptors' sizes and dates are rewritten. The El Torito boot record
// and catalog, the BIOS boot image (isolinux.bin, whose boot info table
// stays right because it does not move) and the EFI boot image keep their
// sectors and bytes. Names, Rock Ridge and Joliet are the input's; the
// copy is a function of the input and the edits.
//
// Open reads and checks the input once; Source.Plan decides every changed
// byte (a plain value); Plan.Fill clones and patches, Plan.Verify reads the
// copy back.
//
// It must not know ESXi, FAT or disks: it copies an ISO with the files it
// is given.
package cd

// Sector is the ISO 9660 logical block size (the only one accepted).
const Sector = 2048
