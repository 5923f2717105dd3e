package hostproto

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Records the lab sends to pktcap-uw after PktcapSubscribed:
//
//	'F' | int64 time (Unix ns, the host's clock) | uint32 length | frame bytes
//	'E' | uint64 frames dropped by the capture's queue        (the last record)
const (
	RecFrame = 'F'
	RecEnd   = 'E'
)

// MaxFrame bounds a frame record (a jumbo frame and then some).
const MaxFrame = 1 << 16

func WriteFrame(w io.Writer, ts time.Time, data []byte) error {
	var hdr [13]byte
	hdr[0] = RecFrame
	binary.LittleEndian.PutUint64(hdr[1:], uint64(ts.UnixNano()))
	binary.LittleEndian.PutUint32(hdr[9:], uint32(len(data)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

func WriteEnd(w io.Writer, dropped uint64) error {
	var b [9]byte
	b[0] = RecEnd
	binary.LittleEndian.PutUint64(b[1:], dropped)
	_, err := w.Write(b[:])
	return err
}

// Record is one record read by ReadRecord.
type Record struct {
	End     bool
	Time    time.Time
	Data    []byte
	Dropped uint64
}

func ReadRecord(r io.Reader) (Record, error) {
	var kind [1]byte
	if _, err := io.ReadFull(r, kind[:]); err != nil {
		return Record{}, err
	}
	switch kind[0] {
	case RecFrame:
		var hdr [12]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return Record{}, err
		}
		n := binary.LittleEndian.Uint32(hdr[8:])
		if n > MaxFrame {
			return Record{}, fmt.Errorf("frame record of %d bytes (max %d)", n, MaxFrame)
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return Record{}, err
		}
		return Record{Time: time.Unix(0, int64(binary.LittleEndian.Uint64(hdr[:]))), Data: data}, nil
	case RecEnd:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Record{}, err
		}
		return Record{End: true, Dropped: binary.LittleEndian.Uint64(b[:])}, nil
	}
	return Record{}, fmt.Errorf("unknown record type %q", kind[0])
}
