package pktcap

import (
	"strconv"
	"strings"
)

// Version is an ESXi release as far as pktcap-uw cares: --dir 2 from 6.7, --rcf and the
// VnicRx/VnicTx capture points from 7.0, and the stderr messages by release.
type Version struct{ Major, Minor int }

// ParseVersion reads "8.0.3" (an empty string is 8.0).
func ParseVersion(s string) Version {
	if s == "" {
		s = "8.0.3"
	}
	p := strings.Split(s, ".")
	var v Version
	v.Major, _ = strconv.Atoi(p[0])
	if len(p) > 1 {
		v.Minor, _ = strconv.Atoi(p[1])
	}
	return v
}

func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}
