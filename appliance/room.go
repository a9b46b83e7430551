package appliance

import (
	"fmt"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/spool"
)

// roomSink lands a pull's files within the spool's room (spool.max_mb and spool.min_free_mb): a file whose
// announced size cannot fit is refused before any of it is taken, and one that grows past the room (a size
// not announced, or a machine that sends more than it said) is cut off there. The machine keeps a refused
// document; the error wraps spool.ErrFull.
type roomSink struct {
	dir  device.Sink // a DirSink, which is also a Resumer
	room func() (int64, error)
}

func newRoomSink(dir string, sp *spool.Spool) *roomSink {
	return &roomSink{dir: device.DirSink(dir), room: sp.Room}
}

// fits checks the room for size more bytes (-1: unknown) and returns how many may come.
func (s *roomSink) fits(name string, size int64) (int64, error) {
	room, err := s.room()
	if err != nil {
		return 0, err
	}
	if size > room {
		return 0, fmt.Errorf("%w: the machine's %s of %d KB does not fit, there is room for %d KB; send or delete jobs",
			spool.ErrFull, device.CleanName(name), (size+1023)>>10, room>>10)
	}
	return room, nil
}

func (s *roomSink) Create(name string, size int64, mod time.Time) (device.Incoming, error) {
	left, err := s.fits(name, size)
	if err != nil {
		return nil, err
	}
	in, err := s.dir.Create(name, size, mod)
	if err != nil {
		return nil, err
	}
	return &roomIncoming{Incoming: in, name: name, left: left}, nil
}

// Resume implements device.Resumer: the part already kept is on the disk and counted in the room.
func (s *roomSink) Resume(name string, size int64, mod time.Time) (device.Resumable, int64, error) {
	in, offset, err := s.dir.(device.Resumer).Resume(name, size, mod)
	if err != nil {
		return nil, 0, err
	}
	rest := size - offset
	if size < 0 {
		rest = -1
	}
	left, err := s.fits(name, rest)
	if err != nil {
		in.Suspend() // keep what came before: it is counted already, and the next pull may have room
		return nil, 0, err
	}
	return &roomResumable{roomIncoming: roomIncoming{Incoming: in, name: name, left: left}, r: in}, offset, nil
}

// roomIncoming is a file being received within the room left when it began.
type roomIncoming struct {
	device.Incoming
	name string
	left int64
}

func (in *roomIncoming) Write(p []byte) (int, error) {
	if int64(len(p)) > in.left {
		return 0, fmt.Errorf("%w: the machine's %s grew past the room left in the queue; send or delete jobs",
			spool.ErrFull, device.CleanName(in.name))
	}
	n, err := in.Incoming.Write(p)
	in.left -= int64(n)
	return n, err
}

type roomResumable struct {
	roomIncoming
	r device.Resumable
}

func (in *roomResumable) Suspend() error { return in.r.Suspend() }

var (
	_ device.Resumer   = (*roomSink)(nil)
	_ device.Resumable = (*roomResumable)(nil)
)
