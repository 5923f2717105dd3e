package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// parseSkews reads "HOST=D[,HOST=D...]" (D a Go duration, may be negative: -3s) into
// m, checking each host against known (nil: any host). The clock_skew setting and
// the --clock-skew flag take this form.
func parseSkews(s string, known func(string) bool, m map[string]time.Duration) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		host, d, ok := strings.Cut(item, "=")
		if !ok || host == "" {
			return fmt.Errorf("clock skew %q: want HOST=DURATION such as esx02=-3s", item)
		}
		skew, err := parseSkew(d)
		if err != nil {
			return fmt.Errorf("clock skew %q: %v", item, err)
		}
		if known != nil && !known(host) {
			return fmt.Errorf("clock skew %q: no host %q", item, host)
		}
		m[host] = skew
	}
	return nil
}

func parseSkew(d string) (time.Duration, error) {
	skew, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as -3s or 250ms", d)
	}
	return skew, nil
}

// skewFlag is --clock-skew HOST=D, repeatable.
type skewFlag map[string]time.Duration

func (f skewFlag) String() string {
	hosts := make([]string, 0, len(f))
	for h := range f {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var parts []string
	for _, h := range hosts {
		parts = append(parts, h+"="+f[h].String())
	}
	return strings.Join(parts, ",")
}

func (f skewFlag) Set(s string) error { return parseSkews(s, nil, f) }

// skewStrings shows skews as {"esx02": "-3s"}.
func skewStrings(m map[string]time.Duration) map[string]string {
	out := make(map[string]string, len(m))
	for h, d := range m {
		out[h] = d.String()
	}
	return out
}
