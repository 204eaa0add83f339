package floor

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

// relayEpoll relays records within pairs (i, i^1) from one OS thread with level-triggered epoll: per
// record one read and one write, and one epoll_wait for however many connections became readable
// together. No goroutine wakes, no scheduler: the cheapest relay any design gets on this machine. With
// batch > 0 the thread sleeps that long before each epoll_wait, trading latency for fewer wakes.
func relayEpoll(conns []net.Conn, batch time.Duration) error {
	runtime.LockOSThread()
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(ep)
	fds := make([]int, len(conns))
	files := make([]*os.File, len(conns)) // kept reachable: a collected *os.File closes its descriptor
	defer runtime.KeepAlive(files)
	for i, c := range conns {
		f, err := c.(*net.TCPConn).File() // a blocking duplicate; the loop owns it from here
		if err != nil {
			return err
		}
		files[i], fds[i] = f, int(f.Fd())
		_ = c.Close() // the duplicate keeps the socket open; this keeps the descriptor count at n
		if err := syscall.SetNonblock(fds[i], true); err != nil {
			return err
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fds[i], &ev); err != nil {
			return err
		}
	}
	bufs := make([][RecordSize]byte, len(conns))
	fill := make([]int, len(conns)) // bytes of a partial record read so far
	events := make([]syscall.EpollEvent, 256)
	for {
		if batch > 0 {
			time.Sleep(batch)
		}
		n, err := syscall.EpollWait(ep, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			i := int(ev.Fd)
			got, err := syscall.Read(fds[i], bufs[i][fill[i]:])
			if err == syscall.EAGAIN {
				continue
			}
			if err != nil || got == 0 {
				return nil // a connection closed: the run is over
			}
			if fill[i] += got; fill[i] < RecordSize {
				continue
			}
			fill[i] = 0
			if err := writeAll(fds[i^1], bufs[i][:]); err != nil {
				return err
			}
		}
	}
}

// writeAll writes b to a non-blocking socket; at this load the send buffer never fills, so waiting
// for room is a plain retry loop bounded by the kernel draining it.
func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EAGAIN {
			runtime.Gosched()
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		b = b[n:]
	}
	return nil
}
