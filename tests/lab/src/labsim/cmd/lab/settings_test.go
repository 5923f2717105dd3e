package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUpdateBatchAndClockSkewFlags(t *testing.T) {
	o, err := parseFlags([]string{"--state-dir", "x", "--update-batch", "250ms", "--clock-skew", "esx02=-3s", "--clock-skew", "esx01=1s"})
	if err != nil || o.UpdateBatch != 250*time.Millisecond || o.ClockSkew["esx02"] != -3*time.Second || o.ClockSkew["esx01"] != time.Second {
		t.Fatalf("flags: %+v %v", o, err)
	}
	if o, _ := parseFlags([]string{"--state-dir", "x"}); o.UpdateBatch != 0 || len(o.ClockSkew) != 0 {
		t.Errorf("defaults: update batch %v, clock skew %v", o.UpdateBatch, o.ClockSkew)
	}
	if _, err := parseFlags([]string{"--state-dir", "x", "--update-batch", "-1s"}); err == nil {
		t.Errorf("negative --update-batch accepted")
	}
	if _, err := parseFlags([]string{"--state-dir", "x", "--clock-skew", "esx02"}); err == nil || !strings.Contains(err.Error(), "HOST=DURATION") {
		t.Errorf("--clock-skew without a duration: %v", err)
	}
	o = testOptions(t)
	o.ClockSkew = skewFlag{"esx09": time.Second}
	if _, err := startLab(o); err == nil || !strings.Contains(err.Error(), `no host "esx09"`) {
		t.Errorf("--clock-skew for an unknown host: %v", err)
	}
}

func TestUpdateBatchAndClockSkewSettings(t *testing.T) {
	o := testOptions(t)
	o.ClockSkew = skewFlag{"esx01": 500 * time.Millisecond}
	o.UpdateBatch = 250 * time.Millisecond
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	ctl := l.ctlURL
	if l.vc.Options().UpdateBatch != 250*time.Millisecond || l.w.ClockSkew("esx01") != 500*time.Millisecond {
		t.Fatalf("flags not applied: %+v, esx01 skew %v", l.vc.Options(), l.w.ClockSkew("esx01"))
	}
	code, body := call(t, "GET", ctl+"/settings", nil)
	if code != 200 || !strings.Contains(body, `"update_batch": "250ms"`) || !strings.Contains(body, `"esx01": "500ms"`) {
		t.Fatalf("GET /settings: %d %s", code, body)
	}
	code, body = call(t, "POST", ctl+"/settings?update_batch=0&host=esx02&clock_skew=-3s", nil)
	if code != 200 || !strings.Contains(body, `"update_batch": "0s"`) || !strings.Contains(body, `"esx02": "-3s"`) {
		t.Fatalf("POST update_batch, clock_skew: %d %s", code, body)
	}
	if l.vc.Options().UpdateBatch != 0 || l.w.ClockSkew("esx02") != -3*time.Second || l.w.ClockSkew("esx01") != 500*time.Millisecond {
		t.Errorf("after POST: %+v, esx01 %v esx02 %v", l.vc.Options(), l.w.ClockSkew("esx01"), l.w.ClockSkew("esx02"))
	}
	// JSON object form; 0 clears a host's skew.
	code, body = call(t, "POST", ctl+"/settings", strings.NewReader(`{"clock_skew": {"esx01": "0s", "esx03": "2.5s"}}`))
	if code != 200 || strings.Contains(body, `"esx01": "`) || !strings.Contains(body, `"esx03": "2.5s"`) {
		t.Fatalf("POST clock_skew object: %d %s", code, body)
	}
	// Bad values change nothing and name the problem.
	for q, want := range map[string]string{
		"host=esx09&clock_skew=1s":            `host="esx09"`,
		"host=esx02&clock_skew=soon":          `"soon" is not a duration`,
		"clock_skew=-3s":                      `want HOST=DURATION`,
		"host=esx02":                          `only used with clock_skew`,
		"update_batch=-1s&flood_pps=5":        `update_batch="-1s"`,
		"clock_skew=esx02=1s,esx07=1s":        `no host "esx07"`,
		"update_batch=1s&clock_skew=esx02=x1": `clock_skew`,
	} {
		code, body := call(t, "POST", ctl+"/settings?"+strings.ReplaceAll(q, ",", "%2C"), nil)
		if code != 400 || !strings.Contains(body, strings.ReplaceAll(want, `"`, `\"`)) {
			t.Errorf("POST %s: %d %s, want 400 naming %s", q, code, body, want)
		}
	}
	if l.vc.Options().UpdateBatch != 0 || l.w.ClockSkew("esx02") != -3*time.Second || l.w.GetSettings().FloodPPS != 0 {
		t.Errorf("a refused POST changed settings: %+v, esx02 %v", l.vc.Options(), l.w.ClockSkew("esx02"))
	}
	// truth.jsonl records each change of a host's skew, the flag's included.
	l.w.FlushTruth()
	b, err := os.ReadFile(filepath.Join(l.opts.StateDir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"ev":"clock-skew"`) {
			i := strings.Index(line, `"host"`)
			j := strings.Index(line, `,"t"`)
			got = append(got, line[i:j])
		}
	}
	want := []string{`"host":"esx01","skew":"500ms","skew_ns":500000000`, `"host":"esx02","skew":"-3s","skew_ns":-3000000000`,
		`"host":"esx01","skew":"0s","skew_ns":0`, `"host":"esx03","skew":"2.5s","skew_ns":2500000000`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("clock-skew truth records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
