package world

import "testing"

func TestSSHSettingsByVersion(t *testing.T) {
	for _, c := range []struct {
		v, than string
		before  bool
	}{{"6.5.0", "8.0.1", true}, {"8.0.0", "8.0.1", true}, {"8.0.1", "8.0.1", false}, {"8.0.3", "8.0.1", false},
		{"8.0", "8.0.1", true}, {"10.0", "8.0.1", false}, {"7.0.3", "8.0", true}, {"8.0.3", "8.0", false}} {
		if got := VersionBefore(c.v, c.than); got != c.before {
			t.Errorf("VersionBefore(%s, %s) = %v", c.v, c.than, got)
		}
	}
	s := DefaultSSHSettings()
	if s.PasswordMethod("8.0.3") || !s.PasswordMethod("6.5.0") || !s.FIPSMode("esx01", "8.0.3") || s.FIPSMode("esx03", "6.5.0") {
		t.Errorf("defaults by version: %+v", s)
	}
	s.PasswordAuth, s.FIPS = "true", map[string]bool{"esx01": false}
	if !s.PasswordMethod("8.0.3") || s.FIPSMode("esx01", "8.0.3") || !s.FIPSMode("esx02", "8.0.3") {
		t.Errorf("overrides: %+v", s)
	}
	// GetSettings hands out a copy: changing it leaves the world's alone.
	w, _ := NewWorld("")
	g := w.GetSettings()
	g.SSH.FIPS["esx01"] = false
	if _, ok := w.GetSettings().SSH.FIPS["esx01"]; ok {
		t.Error("GetSettings shares the FIPS map")
	}
	w.SetSettings(g)
	g.SSH.FIPS["esx02"] = false
	if f := w.GetSettings().SSH.FIPS; len(f) != 1 || f["esx01"] {
		t.Errorf("SetSettings kept the caller's map: %v", f)
	}
}
