package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The boot scenario settings: defaults, changes (query and JSON), refusals that change
// nothing, and their effect on the next boot's truth records.
func TestBootScenarioSettings(t *testing.T) {
	l, _ := start(t)
	ctl := l.ctlURL
	get := func() map[string]interface{} {
		t.Helper()
		var got map[string]interface{}
		code, body := call(t, "GET", ctl+"/settings", nil)
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /settings: %d %s", code, body)
		}
		return got
	}
	defaults := map[string]string{"dhcp_server_latency": "2ms", "dhcp_server_down_for": "0s", "dhcp_rogue_server": "false",
		"dhcp_rogue_latency": "10ms", "dhcp_nak": "false", "dhcp_arp_conflict": "false", "boot_arp": "announce",
		"pxe_boot_file": "", "pxe_file_missing": "false", "boot_ipv6": "false", "boot_timer_scale": "1"}
	got := get()
	for k, v := range defaults {
		if fmt.Sprint(got[k]) != v {
			t.Errorf("default %s = %v, want %s", k, got[k], v)
		}
	}
	code, body := call(t, "POST", ctl+"/settings?dhcp_server_latency=3s&dhcp_server_down_for=20s&dhcp_rogue_server=true"+
		"&dhcp_rogue_latency=1ms&boot_arp=rfc5227&dhcp_arp_conflict=true&boot_timer_scale=0.01", nil)
	if code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	code, body = call(t, "POST", ctl+"/settings", strings.NewReader(`{"pxe_boot_file": "pxelinux.0", "pxe_file_missing": true, "boot_ipv6": true}`))
	if code != 200 {
		t.Fatalf("POST JSON: %d %s", code, body)
	}
	b := l.scen.Get()
	if b.ServerLatency != 3*time.Second || b.ServerDownFor != 20*time.Second || !b.RogueServer || b.RogueLatency != time.Millisecond ||
		b.ARP != "rfc5227" || !b.ARPConflict || b.TimerScale != 0.01 || b.PXEBootFile != "pxelinux.0" || !b.PXEFileMissing || !b.IPv6 {
		t.Fatalf("scenarios after POST: %+v", b)
	}
	// Refusals name the problem and change nothing (the other settings of the POST neither).
	for q, want := range map[string]string{
		"dhcp_server_latency=soon":                      `dhcp_server_latency="soon"`,
		"dhcp_server_down_for=-1s":                      `dhcp_server_down_for="-1s"`,
		"dhcp_nak=maybe":                                `dhcp_nak="maybe"`,
		"boot_arp=probe":                                `boot_arp="probe"`,
		"boot_arp=announce&traffic_interval=5s":         `needs boot_arp=rfc5227`,
		"boot_timer_scale=0":                            `boot_timer_scale="0"`,
		"pxe_boot_file=" + strings.Repeat("x", 200):     `pxe_boot_file`,
		"dhcp_rogue_server=true&boot_timer_scale=-1e-3": `boot_timer_scale`,
	} {
		code, body := call(t, "POST", ctl+"/settings?"+q, nil)
		if code != 400 || !strings.Contains(body, strings.ReplaceAll(want, `"`, `\"`)) {
			t.Errorf("POST %s: %d %s, want 400 naming %s", q, code, body, want)
		}
	}
	if l.scen.Get() != b || l.w.GetSettings().TrafficInterval != time.Second {
		t.Errorf("a refused POST changed settings: %+v", l.scen.Get())
	}
	// Back to the defaults but a NAK; the next boot of testvm1 follows it.
	code, body = call(t, "POST", ctl+"/settings?dhcp_server_latency=2ms&dhcp_server_down_for=0s&dhcp_rogue_server=false"+
		"&dhcp_rogue_latency=10ms&dhcp_arp_conflict=false&boot_arp=announce&boot_timer_scale=1&pxe_boot_file=none"+
		"&pxe_file_missing=false&boot_ipv6=false&dhcp_nak=true", nil)
	if code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	got = get()
	for k, v := range defaults {
		if k != "dhcp_nak" && fmt.Sprint(got[k]) != v {
			t.Errorf("%s = %v after the reset to defaults, want %s", k, got[k], v)
		}
	}
	if code, body := call(t, "POST", ctl+"/vm/testvm1/reset", nil); code != 200 {
		t.Fatalf("reset: %d %s", code, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var msgs []string
		var boot map[string]interface{}
		for _, r := range truthLines(t, l) {
			if r["vm"] != "testvm1" {
				continue
			}
			if r["ev"] == "boot-net" && r["cause"] == "reset" {
				boot = r
			}
			if boot != nil && r["ev"] == "dhcp" {
				msgs = append(msgs, fmt.Sprint(r["msg"]))
			}
		}
		if boot != nil && len(msgs) >= 6 {
			if strings.Join(msgs[:6], " ") != "request nak discover offer request ack" {
				t.Fatalf("testvm1's DHCP after the reset: %v", msgs)
			}
			if st := boot["settings"].(map[string]interface{}); st["dhcp_nak"] != true {
				t.Fatalf("boot-net settings %v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("testvm1's DHCP after the reset: %v (boot-net %v)", msgs, boot)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
