package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSkews(t *testing.T) {
	known := func(h string) bool { return h == "esx01" || h == "esx02" }
	m := map[string]time.Duration{}
	if err := parseSkews("esx02=-3s, esx01=250ms", known, m); err != nil || m["esx02"] != -3*time.Second || m["esx01"] != 250*time.Millisecond {
		t.Fatalf("parse: %v %v", m, err)
	}
	for in, want := range map[string]string{
		"esx02":        "want HOST=DURATION",
		"=1s":          "want HOST=DURATION",
		"esx02=soon":   `"soon" is not a duration`,
		"esx09=1s":     `no host "esx09"`,
		"esx01=1s,bad": `clock skew "bad"`,
	} {
		if err := parseSkews(in, known, map[string]time.Duration{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %s", in, err, want)
		}
	}
	f := skewFlag{}
	if err := f.Set("esx02=-3s"); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("esx01=1s"); err != nil || f.String() != "esx01=1s,esx02=-3s" {
		t.Fatalf("repeated flag: %q %v", f.String(), err)
	}
}
