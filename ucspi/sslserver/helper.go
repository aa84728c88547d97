package sslserver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/ucspi/server"
	"github.com/quail-mta/quail/ucspi/tlsconf"
	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// The TLS helper. ucspi-ssl's sslserver runs the TLS side of each
// connection in a process of its own, which takes SSL_CHROOT, SSL_GID and
// SSL_UID (else -g and -u) before it touches the network, while the
// program runs as -g and -u (sslserver(1), TLS ENVIRONMENT VARIABLES
// READ). quail keeps the TLS of every connection in the server process;
// when one of those variables (or SSL_USER, SSL_GROUP) is set, that
// process is one helper beside the server instead, started as the server
// starts: it loads the certificates, enters SSL_CHROOT, takes the TLS
// identity, and from then on runs the TLS side of each connection the
// server hands it.
//
// The server and the helper talk over a Unix socket pair (descriptor 3 of
// the helper) in frames: a kind byte, a 4-byte big-endian length and the
// payload, with descriptors passed alongside (SCM_RIGHTS).
//
//	server -> helper  'S' payload: 1 and the key password (-3), or 0
//	helper -> server  'R' ready, or 'E' the error that keeps it from starting
//	server -> helper  'C' one connection: its socket and a socket pair end
//	                  of its own; payload: flags byte (1 CCAFILE=-, 2
//	                  CCAVERIFY) and the remote host name (for -z)
//
// and on the connection's own socket pair:
//
//	helper -> server  'O' the program's descriptors (1, or 3 for -n);
//	                  payload: "PROTOCOL:CIPHER" of an immediate handshake,
//	                  a NUL, and the program's variables as a UCSPI-TLS
//	                  environment block
//	helper -> server  'E' the connection is dropped: why
//	helper -> server  'H' with -n, the program started TLS: "PROTOCOL:CIPHER"
//	server closes it  the program has exited (or was never started)
//
// When the server is gone the helper takes no more connections and exits
// once its sessions are over, as the programs outlive sslserver.

// helperName is argv[0] of the helper, a name no one types.
const helperName = "sslserver:tls"

// Frame kinds.
const (
	frameSetup      = 'S'
	frameReady      = 'R'
	frameError      = 'E'
	frameConnection = 'C'
	frameOK         = 'O'
	frameHandshaken = 'H'
)

// maxFrame bounds a frame: the largest is a variable block with client
// certificate chains (ucspitls.MaxEnvBlock) and the info before it.
const maxFrame = ucspitls.MaxEnvBlock + 1024

// identity is where and as whom the TLS side runs.
type identity struct {
	root     string // SSL_CHROOT; "" = stay
	uid, gid int    // 0 = keep
}

// tlsIdentity reads SSL_CHROOT, SSL_UID, SSL_GID, SSL_USER and SSL_GROUP;
// ok is false when none is set (the TLS side then stays in the server).
// The numeric variables win over the names, SSL_USER gives its group
// when neither group variable is set, and -u and -g are the defaults, as
// sslserver.c falls back to uid and gid.
func tlsIdentity(getenv func(string) (string, bool), uid, gid int) (id identity, ok bool, err error) {
	get := func(k string) string {
		v, set := getenv(k)
		if set && v != "" {
			ok = true
		}
		return v
	}
	id = identity{root: get("SSL_CHROOT"), uid: uid, gid: gid}
	name, group, numUID, numGID := get("SSL_USER"), get("SSL_GROUP"), get("SSL_UID"), get("SSL_GID")
	if !ok {
		return id, false, nil
	}
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return id, true, fmt.Errorf("unable to find SSL_USER %s: %w", name, err)
		}
		id.uid, _ = strconv.Atoi(u.Uid)
		if group == "" && numGID == "" {
			id.gid, _ = strconv.Atoi(u.Gid)
		}
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return id, true, fmt.Errorf("unable to find SSL_GROUP %s: %w", group, err)
		}
		id.gid, _ = strconv.Atoi(g.Gid)
	}
	for _, v := range []struct {
		name, text string
		to         *int
	}{{"SSL_UID", numUID, &id.uid}, {"SSL_GID", numGID, &id.gid}} {
		if v.text == "" {
			continue
		}
		n, err := strconv.ParseUint(v.text, 10, 31)
		if err != nil {
			return id, true, fmt.Errorf("bad %s %q", v.name, v.text)
		}
		*v.to = int(n)
	}
	return id, true, nil
}

// helperClient is the server's end of the helper.
type helperClient struct {
	mu  sync.Mutex // one frame at a time on ctl
	ctl *net.UnixConn
}

// startHelper starts the helper and waits until it is ready: its
// certificates loaded, in its root, under its identity. An error from it
// comes back as the error.
func startHelper(inv *cli.Invocation, st settings, id identity, password []byte) (*helperClient, error) {
	ours, theirs, err := socketPair()
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	self, err := os.Executable()
	if err != nil {
		ours.Close()
		return nil, fmt.Errorf("unable to find my own program: %v", err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		ours.Close()
		return nil, err
	}
	defer null.Close()
	stderr := uintptr(2)
	if f, ok := inv.Stderr.(*os.File); ok {
		stderr = f.Fd()
	}
	args := []string{helperName, st.encode(), strconv.Itoa(id.uid), strconv.Itoa(id.gid)}
	// Not waited for here: the server's reaper collects it if it ends.
	if _, err := syscall.ForkExec(self, args, &syscall.ProcAttr{
		Env:   inv.Env,
		Files: []uintptr{null.Fd(), null.Fd(), stderr, theirs.Fd()},
	}); err != nil {
		ours.Close()
		return nil, fmt.Errorf("unable to start TLS helper: %v", djberr.Text(err))
	}
	theirs.Close()
	h := &helperClient{ctl: ours}
	setup := []byte{0}
	if password != nil {
		setup = append([]byte{1}, password...)
	}
	if err := writeFrame(ours, frameSetup, setup); err != nil {
		ours.Close()
		return nil, fmt.Errorf("unable to start TLS helper: %v", err)
	}
	kind, payload, _, err := readFrame(ours)
	switch {
	case err != nil:
		ours.Close()
		return nil, fmt.Errorf("unable to start TLS helper: %v", err)
	case kind == frameError:
		ours.Close()
		return nil, errors.New(string(payload))
	case kind != frameReady:
		ours.Close()
		return nil, fmt.Errorf("unable to start TLS helper: unexpected frame %q", kind)
	}
	return h, nil
}

// prepare returns the hook that has the helper run each connection's
// TLS side.
func (h *helperClient) prepare(st settings) func(*server.Session) error {
	return func(s *server.Session) error {
		s.Env = sslVars(s.Env, st.tcpEnv)
		ours, theirs, err := socketPair()
		if err != nil {
			return err
		}
		req := requestFor(s.Env)
		flags := byte(0)
		if req.noAsk {
			flags |= 1
		}
		if req.ccaVerify {
			flags |= 2
		}
		h.mu.Lock()
		err = writeFrame(h.ctl, frameConnection, append([]byte{flags}, req.host...), s.FD, int(theirs.Fd()))
		h.mu.Unlock()
		theirs.Close()
		if err != nil {
			ours.Close()
			return fmt.Errorf("unable to reach TLS helper: %v", err)
		}
		kind, payload, fds, err := readFrame(ours)
		closeFDs := func() {
			for _, fd := range fds {
				syscall.Close(fd)
			}
		}
		want := 1
		if st.delayed {
			want = 3
		}
		switch {
		case err != nil:
			closeFDs()
			ours.Close()
			return fmt.Errorf("unable to hear from TLS helper: %v", err)
		case kind == frameError:
			closeFDs()
			ours.Close()
			return errors.New(string(payload))
		case kind != frameOK || len(fds) != want:
			closeFDs()
			ours.Close()
			return fmt.Errorf("TLS helper answered %q with %d descriptors", kind, len(fds))
		}
		info, block, _ := bytes.Cut(payload, []byte{0})
		env, err := ucspitls.ReadEnv(bufio.NewReader(bytes.NewReader(block)))
		if err != nil {
			closeFDs()
			ours.Close()
			return fmt.Errorf("TLS helper: %v", err)
		}
		if st.delayed {
			s.Extra = fds
		} else {
			s.Stdin, s.Stdout = fds[0], fds[0]
		}
		s.Env = append(s.Env, env...)
		s.Started = func(pid int) {
			closeFDs()
			if !st.delayed {
				s.Log(st.tlsLine(pid, string(info)))
				return
			}
			go func() {
				for {
					kind, payload, fds, err := readFrame(ours)
					for _, fd := range fds {
						syscall.Close(fd)
					}
					if err != nil {
						return
					}
					if kind == frameHandshaken {
						s.Log(st.tlsLine(pid, string(payload)))
					}
				}
			}()
		}
		s.Finished = func(int) { ours.Close() }
		s.Abort = func() { closeFDs(); ours.Close() }
		return nil
	}
}

// encode writes the settings the helper needs as one word.
func (st settings) encode() string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return strings.Join([]string{b(st.delayed), b(st.sslEnv), strconv.Itoa(int(st.auth)),
		strconv.FormatInt(int64(st.handshake), 10), strconv.FormatInt(int64(st.idle), 10)}, ",")
}

func decodeSettings(s string) (settings, error) {
	f := strings.Split(s, ",")
	if len(f) != 5 {
		return settings{}, fmt.Errorf("bad settings %q", s)
	}
	auth, err1 := strconv.Atoi(f[2])
	hs, err2 := strconv.ParseInt(f[3], 10, 64)
	idle, err3 := strconv.ParseInt(f[4], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return settings{}, fmt.Errorf("bad settings %q", s)
	}
	return settings{delayed: f[0] == "1", sslEnv: f[1] == "1", auth: tlsconf.ClientAuth(auth),
		handshake: time.Duration(hs), idle: time.Duration(idle)}, nil
}

// runHelper is the helper process: inv.Args are its name, the settings,
// the uid and the gid to take.
func runHelper(inv *cli.Invocation) int {
	fail := func(ctl *net.UnixConn, format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		if ctl == nil || writeFrame(ctl, frameError, []byte(msg)) != nil {
			inv.Fatal(cli.ExitTemporary, "%s", msg)
		}
		return cli.ExitTemporary
	}
	if len(inv.Args) != 4 {
		return fail(nil, "TLS helper: bad arguments")
	}
	st, err := decodeSettings(inv.Args[1])
	uid, err1 := strconv.Atoi(inv.Args[2])
	gid, err2 := strconv.Atoi(inv.Args[3])
	if err := errors.Join(err, err1, err2); err != nil {
		return fail(nil, "TLS helper: %v", err)
	}
	c, err := net.FileConn(os.NewFile(3, "control"))
	ctl, ok := c.(*net.UnixConn)
	if err != nil || !ok {
		return fail(nil, "TLS helper: no control socket")
	}
	defer ctl.Close()
	kind, payload, _, err := readFrame(ctl)
	if err != nil || kind != frameSetup || len(payload) < 1 {
		return fail(nil, "TLS helper: no setup")
	}
	var password []byte
	if payload[0] == 1 {
		password = payload[1:]
	}
	tc, err := tlsconf.Server(inv.Getenv, st.auth, password)
	if err != nil {
		return fail(ctl, "%v", err)
	}
	if root, _ := inv.Getenv("SSL_CHROOT"); root != "" {
		if err := unix.Chroot(root); err != nil {
			return fail(ctl, "unable to chroot to %s: %s", root, djberr.Text(err))
		}
		if err := unix.Chdir("/"); err != nil {
			return fail(ctl, "unable to chdir to / in %s: %s", root, djberr.Text(err))
		}
	}
	if gid != 0 {
		if err := syscall.Setgroups([]int{gid}); err != nil {
			return fail(ctl, "unable to set gid: %s", djberr.Text(err))
		}
		if err := syscall.Setgid(gid); err != nil {
			return fail(ctl, "unable to set gid: %s", djberr.Text(err))
		}
	}
	if uid != 0 {
		if err := syscall.Setuid(uid); err != nil {
			return fail(ctl, "unable to set uid: %s", djberr.Text(err))
		}
	}
	if err := writeFrame(ctl, frameReady, nil); err != nil {
		return cli.ExitTemporary
	}
	cs := newConfigs(tc)
	var wg sync.WaitGroup
	for {
		kind, payload, fds, err := readFrame(ctl)
		if err != nil {
			break // the server is gone
		}
		if kind != frameConnection || len(fds) != 2 || len(payload) < 1 {
			for _, fd := range fds {
				syscall.Close(fd)
			}
			continue
		}
		req := request{noAsk: payload[0]&1 != 0, ccaVerify: payload[0]&2 != 0, host: string(payload[1:])}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.serveConnection(cs, req, fds[0], fds[1])
		}()
	}
	wg.Wait()
	return cli.ExitOK
}

// serveConnection runs one connection's TLS side in the helper: sock is
// the connection, ch the socket pair to the server for it.
func (st settings) serveConnection(cs configs, req request, sock, ch int) {
	c, err := net.FileConn(os.NewFile(uintptr(ch), "connection"))
	if err != nil {
		syscall.Close(sock)
		return
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	var mu sync.Mutex
	send := func(kind byte, payload []byte, fds ...int) error {
		mu.Lock()
		defer mu.Unlock()
		return writeFrame(conn, kind, payload, fds...)
	}
	sd, err := st.startTLS(cs, req, os.NewFile(uintptr(sock), "socket"), func(info string) {
		send(frameHandshaken, []byte(info))
	})
	if err != nil {
		send(frameError, []byte(err.Error()))
		return
	}
	var fds []int
	if st.delayed {
		for _, f := range sd.child.Extra {
			fds = append(fds, int(f.Fd()))
		}
	} else {
		fds = []int{int(sd.child.Stdin.Fd())}
	}
	// With -n the variables name descriptors 3, 4 and 5, which is where
	// the server puts the three it is sent.
	payload := append(append([]byte(sd.info), 0), ucspitls.EncodeEnv(sd.child.Env)...)
	err = send(frameOK, payload, fds...)
	sd.sess.CloseChildSide()
	if err == nil {
		// The server closes its end when the program has exited.
		io.Copy(io.Discard, conn)
	}
	sd.sess.ProgramExited()
	sd.sess.Wait()
}

// socketPair is a connected pair of Unix stream sockets, ours as a
// net.UnixConn and theirs as a file to hand on.
func socketPair() (*net.UnixConn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("unable to create socket pair: %v", djberr.Text(err))
	}
	f := os.NewFile(uintptr(fds[0]), "helper")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return c.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "helper"), nil
}

// writeFrame sends one frame with fds attached.
func writeFrame(c *net.UnixConn, kind byte, payload []byte, fds ...int) error {
	if len(payload) > maxFrame {
		return fmt.Errorf("frame of %d bytes", len(payload))
	}
	b := make([]byte, 5+len(payload))
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:5], uint32(len(payload)))
	copy(b[5:], payload)
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	n, _, err := c.WriteMsgUnix(b, oob, nil)
	if err == nil && n < len(b) {
		_, err = c.Write(b[n:])
	}
	return err
}

// readFrame reads one frame and the descriptors that came with it.
func readFrame(c *net.UnixConn) (kind byte, payload []byte, fds []int, err error) {
	var hdr [5]byte
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(hdr[:], oob)
	if oobn > 0 {
		if msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn]); perr == nil {
			for _, m := range msgs {
				if rights, perr := syscall.ParseUnixRights(&m); perr == nil {
					fds = append(fds, rights...)
				}
			}
		}
	}
	if err == nil && n == 0 {
		err = io.EOF
	}
	if err == nil && n < len(hdr) {
		_, err = io.ReadFull(c, hdr[n:])
	}
	if err != nil {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return 0, nil, nil, err
	}
	size := binary.BigEndian.Uint32(hdr[1:5])
	if size > maxFrame {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return 0, nil, nil, fmt.Errorf("frame of %d bytes", size)
	}
	payload = make([]byte, size)
	if _, err := io.ReadFull(c, payload); err != nil {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return 0, nil, nil, err
	}
	return hdr[0], payload, fds, nil
}
