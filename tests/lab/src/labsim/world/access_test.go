package world

import "testing"

func TestHostAccessDefaultsSetAndNotifies(t *testing.T) {
	w, err := NewWorld("")
	if err != nil {
		t.Fatal(err)
	}
	if a := w.HostAccess("esx01"); !a.SSHRunning || a.Lockdown != LockdownDisabled || !a.LoginAllowed("root") {
		t.Fatalf("default access %+v", a)
	}
	var seen []string
	w.OnHostAccess(func(host string, a HostAccess) { seen = append(seen, host+":"+a.Lockdown) })
	w.SetHostAccess("esx01", HostAccess{SSHRunning: true, Lockdown: LockdownNormal, ExceptionUsers: []string{"svc"}})
	a := w.HostAccess("esx01")
	if a.LoginAllowed("root") || !a.LoginAllowed("svc") {
		t.Errorf("lockdown normal with exception svc: root allowed %v, svc allowed %v", a.LoginAllowed("root"), a.LoginAllowed("svc"))
	}
	if len(seen) != 1 || seen[0] != "esx01:lockdownNormal" {
		t.Errorf("listeners saw %v", seen)
	}
	if b := w.HostAccess("esx02"); !b.SSHRunning {
		t.Errorf("another host changed: %+v", b)
	}
}
