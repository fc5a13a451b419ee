package bootcfg

import "bytes"

// SectorSize is the unit SYSLINUX 3.86 reads a file in for a COM32
// module (INT 22h AX=0007h on a FAT file system).
const SectorSize = 512

// WholeSectors reports whether a file of size bytes fills a whole number
// of 512-byte sectors. VMware's mboot.c32 (BIOS) cannot load such a file
// through SYSLINUX 3.86 (ldlinux.sys): it asks for the sectors left, and
// 3.86's getfssec closes the file only when a read asks for more bytes than
// are left (core/ldlinux.asm: "cmp ecx,[si+file_bytesleft]; ja .eof"), so
// the read that ends exactly at the end leaves it open; mboot
// (bios/com32/file.c, file_load_bounded) then loops "while (*fd != 0)"
// reading 0 sectors, and the boot hangs after "Loading FILE" with no
// error. Seen with esx-boot 8.0U2's mboot.c32 and a 1,024-byte module
// (and a 49,600,000-byte one); 1,025 bytes boots. isolinux 3.86 (CDs)
// closes a file at its exact end and is not affected, nor is mboot's own
// FAT reader (-p N) or UEFI.
func WholeSectors(size int64) bool { return size > 0 && size%SectorSize == 0 }

// AvoidWholeSectors returns text, with one more line end when text fills
// a whole number of sectors (WholeSectors): mboot skips an empty line, and
// the BIOS boot then reads the file to its end. The line end is the
// file's last one (LF when it has none).
func AvoidWholeSectors(text []byte) []byte {
	if !WholeSectors(int64(len(text))) {
		return text
	}
	end := []byte("\n")
	if bytes.HasSuffix(text, []byte("\r\n")) {
		end = []byte("\r\n") // 512k+2 bytes: still not whole sectors
	}
	return append(append([]byte(nil), text...), end...)
}
