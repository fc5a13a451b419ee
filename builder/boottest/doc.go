// Package boottest holds the end-to-end CI tests that prove the images the
// builder writes really boot. It has no code of its own, only tests:
//
//   - our stand-in SYSLINUX 3.70 pair (fixtures/asm) boots through Debian's
//     real mbr.bin from images built by the builder API, for FAT16 and
//     FAT32, several partition starts and the -s / -r / --no-stupid options;
//   - Debian's real, unmodified SYSLINUX 6.04, installed with its own
//     installer on a copy of an image we built, finds our syslinux.cfg and
//     reads mboot.c32, the multiboot test kernel and all five modules
//     through our FAT, and the kernel sees our ks= value;
//   - negative controls (a broken sector list, two active partitions, a
//     missing module) are judged unbootable by builder/inspect and really
//     fail to boot;
//   - per-host install CDs (cd_test.go) boot as CD-ROMs by BIOS and, for
//     5.x+, by UEFI, where our stand-in BOOTX64.EFI reads the host's
//     EFI/BOOT/BOOT.CFG and every module from the CD's ISO 9660 tree;
//   - the esxi-autopart binary's demo and inspect commands, end to end.
//
// Every boot runs QEMU (TCG is enough) with a bounded timeout on images
// under t.TempDir(). Tests skip when a tool is missing, unless CI is set:
// then they fail.
package boottest
