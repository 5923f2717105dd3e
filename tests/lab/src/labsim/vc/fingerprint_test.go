package vc

import (
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

func TestFingerprintSeesEveryDifference(t *testing.T) {
	nic := func(mac string) types.BaseVirtualDevice {
		return &types.VirtualE1000{VirtualEthernetCard: types.VirtualEthernetCard{MacAddress: mac}}
	}
	e1000e := &types.VirtualE1000e{VirtualEthernetCard: types.VirtualEthernetCard{MacAddress: "00:50:56:80:00:01"}}
	t0 := time.Unix(1700000000, 5)
	same := [][2]interface{}{
		{types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{nic("00:50:56:80:00:01")}},
			types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{nic("00:50:56:80:00:01")}}},
		{t0, time.Unix(1700000000, 5)},
		{types.VirtualMachinePowerStatePoweredOn, types.VirtualMachinePowerStatePoweredOn},
		{nil, nil},
	}
	for i, p := range same {
		if fingerprintOf(p[0]) != fingerprintOf(p[1]) {
			t.Errorf("case %d: equal values %#v and %#v differ", i, p[0], p[1])
		}
	}
	differ := [][2]interface{}{
		{types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{nic("00:50:56:80:00:01")}},
			types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{nic("00:50:56:80:00:02")}}},
		// same fields, another device type (the type travels as xsi:type)
		{types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{nic("00:50:56:80:00:01")}},
			types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{e1000e}}},
		{t0, t0.Add(time.Nanosecond)},
		{types.VirtualMachinePowerStatePoweredOn, types.VirtualMachinePowerStatePoweredOff},
		{types.ManagedObjectReference{Type: "HostSystem", Value: "host-1"}, types.ManagedObjectReference{Type: "HostSystem", Value: "host-2"}},
		{types.ArrayOfString{String: []string{"ab", "c"}}, types.ArrayOfString{String: []string{"a", "bc"}}},
		{nil, types.ArrayOfString{}},
		{int32(1), int64(1)},
	}
	for i, p := range differ {
		if fingerprintOf(p[0]) == fingerprintOf(p[1]) {
			t.Errorf("case %d: different values %#v and %#v have one fingerprint", i, p[0], p[1])
		}
	}
}
