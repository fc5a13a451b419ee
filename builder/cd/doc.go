// Package cd makes a per-host copy of a bootable ISO 9660 image (an ESXi
// install CD for a BMC's virtual media): a few files replaced or added,
// everything else where the input has it.
//
// The copy keeps the input's layout: the whole image is cloned (a reflink
// where the file system shares extents, else copy_file_range). Every byte
// that differs between hosts lies after the input's last sector: the
// folders that hold a changed or new record move there, then the changed
// files' data, then zeros to a multiple of Granule. Before it only
// host-independent bytes are rewritten: the records, ".." entries and
// path table entries that point at moved folders, and the volume
// descriptors' root record, size and date. So every host planned with the
// same input, paths, date and size shares the bytes up to the input's end
// (Plan.Prefix), and the SHA-256 state there is computed once per Source. The El Torito boot record
// and catalog, the BIOS boot image (isolinux.bin, whose boot info table
// stays right because it does not move) and the EFI boot image keep their
// sectors and bytes. Names, Rock Ridge and Joliet are the input's; the
// copy is a function of the input and the edits.
//
// Open reads and checks the input once; Source.Plan decides every changed
// byte (a plain value); Plan.Fill clones and patches, Plan.VerifyWritten
// reads back what was written, Plan.Verify every byte.
//
// It must not know ESXi, FAT or disks: it copies an ISO with the files it
// is given.
package cd

// Sector is the ISO 9660 logical block size (the only one accepted).
const Sector = 2048
