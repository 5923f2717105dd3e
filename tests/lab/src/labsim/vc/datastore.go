package vc

import (
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// DatastoreSyncInterval is how often summary.freeSpace is compared with the world.
const DatastoreSyncInterval = 200 * time.Millisecond

// syncDatastores makes each datastore's capacity and freeSpace (summary and info)
// what the world says, updating only what differs so watchers see real changes.
func (v *VCenter) syncDatastores() {
	for _, d := range v.w.DatastoreSnapshot() {
		ref, ok := v.dsRef[d.Name]
		if !ok {
			continue
		}
		ds, ok := simulator.Map.Get(ref).(*simulator.Datastore)
		if !ok {
			continue
		}
		free := d.Capacity - d.Used
		if free < 0 {
			free = 0
		}
		simulator.Map.WithLock(ds, func() {
			info := ds.Info.GetDatastoreInfo()
			if ds.Summary.FreeSpace == free && ds.Summary.Capacity == d.Capacity && info.FreeSpace == free {
				return
			}
			now := time.Now()
			info.FreeSpace = free
			info.MaxFileSize = free
			info.Timestamp = &now
			simulator.Map.Update(ds, []types.PropertyChange{
				{Name: "summary.capacity", Val: d.Capacity},
				{Name: "summary.freeSpace", Val: free},
			})
		})
	}
}

func (v *VCenter) datastoreLoop() {
	defer v.wg.Done()
	t := time.NewTicker(DatastoreSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.syncDatastores()
		}
	}
}

// SyncDatastores refreshes summary.freeSpace from the world now (tests, control).
func (v *VCenter) SyncDatastores() { v.syncDatastores() }
