package check

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// parseAddr accepts an IPv4 or IPv6 address, nothing else (no zone, no
// prefix, no leading zeros that netip refuses).
func parseAddr(v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, errors.New("not an IPv4 or IPv6 address")
	}
	if a.Zone() != "" {
		return netip.Addr{}, errors.New("an address with a zone is not for a kickstart")
	}
	return a, nil
}

// parseMask accepts a dotted IPv4 netmask with contiguous ones
// (255.255.255.0) or a prefix length (24 or /24) and returns the length.
func parseMask(v string, v6 bool) (int, error) {
	if n, err := strconv.Atoi(strings.TrimPrefix(v, "/")); err == nil {
		max := 32
		if v6 {
			max = 128
		}
		if n < 0 || n > max {
			return 0, fmt.Errorf("prefix length %d is outside 0-%d", n, max)
		}
		return n, nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return 0, errors.New("not a netmask (255.255.255.0) or a prefix length (24)")
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := 0
	for m&(1<<31) != 0 {
		ones++
		m <<= 1
	}
	if m != 0 {
		return 0, errors.New("the netmask's ones are not contiguous")
	}
	return ones, nil
}

// subnetFindings checks an address against its gateway and mask: the same
// subnet, and (IPv4) not the network or broadcast address.
func subnetFindings(ip, gw netip.Addr, bits int) []string {
	var out []string
	pfx, err := ip.Prefix(bits)
	if err != nil {
		return nil
	}
	if gw.IsValid() && gw.Is4() == ip.Is4() && !pfx.Contains(gw) {
		out = append(out, fmt.Sprintf("gateway %s is outside %s, the subnet of %s", gw, pfx, ip))
	}
	if ip.Is4() && bits <= 30 {
		if ip == pfx.Addr() {
			out = append(out, fmt.Sprintf("%s is the network address of %s", ip, pfx))
		}
		if ip == broadcast(pfx) {
			out = append(out, fmt.Sprintf("%s is the broadcast address of %s", ip, pfx))
		}
	}
	if gw.IsValid() && gw == ip {
		out = append(out, fmt.Sprintf("gateway %s is the host's own address", gw))
	}
	return out
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= (1 << (32 - p.Bits())) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// checkHostname applies RFC 1123: labels of 1-63 letters, digits and
// hyphens, not starting or ending with a hyphen; 253 bytes at most.
func checkHostname(v string, fqdn bool) error {
	if len(v) > 253 {
		return fmt.Errorf("%d bytes: longer than 253", len(v))
	}
	labels := strings.Split(strings.TrimSuffix(v, "."), ".")
	if fqdn && len(labels) < 2 {
		return errors.New("not a fully qualified name (no domain)")
	}
	for _, l := range labels {
		switch {
		case l == "":
			return errors.New("an empty label (two dots in a row)")
		case len(l) > 63:
			return fmt.Errorf("label %q is longer than 63", l)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("label %q starts or ends with '-'", l)
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("label %q has %q: only letters, digits and '-' (RFC 1123)", l, c)
			}
		}
	}
	return nil
}

// checkMAC accepts six hex pairs separated by ':' or '-' throughout.
func checkMAC(v string) error {
	sep := ":"
	if strings.Contains(v, "-") {
		sep = "-"
	}
	parts := strings.Split(v, sep)
	if len(parts) != 6 {
		return errors.New("not a MAC address (six hex pairs, aa:bb:cc:dd:ee:ff)")
	}
	for _, p := range parts {
		if len(p) != 2 || strings.Trim(p, "0123456789abcdefABCDEF") != "" {
			return errors.New("not a MAC address (six hex pairs, aa:bb:cc:dd:ee:ff)")
		}
	}
	return nil
}

// checkVLAN accepts 0-4094.
func checkVLAN(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 4094 {
		return errors.New("not a VLAN ID (0-4094)")
	}
	return nil
}
