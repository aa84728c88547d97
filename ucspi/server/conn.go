package server

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"slices"
	"strconv"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/ucspi/ident"
	"github.com/quail-mta/quail/ucspi/reuse"
	"github.com/quail-mta/quail/ucspi/rules"
	"github.com/quail-mta/quail/ucspi/tcpenv"
)

// handle takes one accepted connection to its program, in the order the
// original's child does it: socket options, banner, names, IDENT, rules,
// environment, exec. It owns the slot taken for the connection until a
// program holds it.
func (s *Server) handle(fd int, local, remote netip.AddrPort) {
	started := false
	defer func() {
		if !started {
			syscall.Close(fd)
			s.release()
		}
	}()
	c := s.cfg
	if !c.KeepIPOptions && local.Addr().Unmap().Is4() {
		// Kill IP options (source routes) so replies follow our routing.
		syscall.SetsockoptString(fd, syscall.IPPROTO_IP, syscall.IP_OPTIONS, "")
	}
	if c.NoDelay {
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	}
	if c.Banner != "" {
		if err := writeAll(fd, c.Banner); err != nil {
			s.log.warn("dropping connection, unable to print banner: " + djberr.Text(err))
			return
		}
	}

	info := tcpenv.Info{Local: local, Remote: remote, ForceV6: c.ForceV6}
	ctx := context.Background()
	info.LocalHost = c.LocalHost
	if info.LocalHost == nil {
		info.LocalHost = s.nameOf(ctx, local.Addr())
	}
	if c.RemoteHost {
		info.RemoteHost = s.nameOf(ctx, remote.Addr())
		if info.RemoteHost != nil && c.Paranoid && !s.mapsTo(ctx, *info.RemoteHost, remote.Addr()) {
			info.RemoteHost = nil
		}
	}
	if c.Ident {
		ictx, cancel := context.WithTimeout(ctx, c.IdentTimeout)
		if answer, err := ident.Query(ictx, local, remote); err == nil {
			info.RemoteInfo = &answer
		}
		cancel()
	}

	env := info.Apply(slices.Clone(c.Env))
	maxConIP := c.MaxConIP
	if c.Rules != "" {
		d, err := rules.LookupFile(c.Rules, ruleQuery(info))
		switch {
		case err != nil && c.AllowMissingRules && errors.Is(err, fs.ErrNotExist):
		case err != nil:
			s.log.warn("dropping connection, unable to read " + c.Rules + ": " + djberr.Text(err))
			return
		case d.Deny:
			s.log.info(connLine("deny", 0, info))
			return
		default:
			for _, v := range d.Env {
				env = cli.Setenv(env, v.Name, v.Value)
			}
			if v, ok := cli.Lookup(env, "MAXCONIP"); ok {
				if n, err := strconv.Atoi(v); err == nil && n >= 0 {
					maxConIP = n
				}
			}
		}
	}
	overLimit := func() {
		s.log.info(connLine("deny", 0, info) + " ip connection limit:" + strconv.Itoa(maxConIP) + " exceeded")
	}
	// Checked here to spare the hook's work (a TLS handshake) for a
	// connection that will be refused; spawn checks again under its lock.
	if s.ipFull(remote.Addr(), maxConIP) {
		overLimit()
		return
	}
	sess := &Session{FD: fd, Info: info, Env: env, Stdin: -1, Stdout: -1, Log: s.log.info}
	if c.Prepare != nil {
		if err := c.Prepare(sess); err != nil {
			s.log.warn("dropping connection, " + err.Error())
			return
		}
	}
	abort := func() {
		if sess.Abort != nil {
			sess.Abort()
		}
	}
	prog, err := c.Path, error(nil)
	if prog == "" {
		prog, err = pathexec.Lookup(c.Argv[0], sess.Env)
	}
	if err != nil {
		abort()
		s.log.warn("dropping connection, unable to run " + c.Argv[0] + ": " + djberr.Text(err))
		return
	}
	pid, err := s.spawn(sess, prog, maxConIP)
	if err != nil {
		abort()
		s.log.warn("dropping connection, " + err.Error())
		return
	}
	if pid == 0 {
		abort()
		overLimit()
		return
	}
	started = true
	syscall.Close(fd)
	if sess.Started != nil {
		sess.Started(pid)
	}
}

// spawn starts the program unless the remote address already has
// maxConIP live programs (then it returns pid 0). The check, the fork and
// the bookkeeping happen under one lock, so that the reaper cannot see
// the child exit before it is registered, and two connections from one
// address cannot both take its last place.
func (s *Server) spawn(sess *Session, prog string, maxConIP int) (int, error) {
	in, out := sess.Stdin, sess.Stdout
	if in < 0 {
		in = sess.FD
	}
	if out < 0 {
		out = sess.FD
	}
	files := []uintptr{uintptr(in), uintptr(out), 2}
	for _, e := range sess.Extra {
		files = append(files, uintptr(e))
	}
	ip := ipKey(sess.Info.Remote.Addr())
	id, reused := s.reusable(sess, prog)
	s.mu.Lock()
	defer s.mu.Unlock()
	if maxConIP > 0 && s.perIP[ip] >= maxConIP {
		return 0, nil
	}
	var pid int
	var w *worker
	if reused {
		var err error
		if w, err = s.handOff(sess, prog, id); err != nil {
			// Served the original way instead.
			if !errors.Is(err, reuse.ErrEnvTooLarge) {
				s.log.warn("unable to reuse " + s.cfg.Argv[0] + ": " + djberr.Text(err))
			}
		} else {
			pid = w.pid
			w.uses++
			go s.awaitResult(w, sess)
		}
	}
	if w == nil {
		var err error
		pid, err = syscall.ForkExec(prog, s.cfg.Argv, &syscall.ProcAttr{Env: sess.Env, Files: files})
		if err != nil {
			return 0, errors.New("unable to run " + s.cfg.Argv[0] + ": " + djberr.Text(err))
		}
	}
	s.children[pid] = &child{ip: ip, session: sess, worker: w}
	s.perIP[ip]++
	// Logged under the lock, which the reaper takes before its end line,
	// so a program that exits at once still has its lines in order.
	s.log.info("pid " + strconv.Itoa(pid) + " from " + sess.Info.IPText(sess.Info.Remote.Addr()))
	s.log.info(connLine("ok", pid, sess.Info))
	return pid, nil
}

// ipKey is the per-address count's key: v4-mapped and plain IPv4 are one
// address.
func ipKey(a netip.Addr) string { return a.Unmap().WithZone("").String() }

// ipFull reports whether the address already has max live programs.
func (s *Server) ipFull(a netip.Addr, max int) bool {
	if max <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perIP[ipKey(a)] >= max
}

// nameOf is the first PTR name of ip, or nil: a failed lookup leaves the
// variable unset, as in the original.
func (s *Server) nameOf(ctx context.Context, ip netip.Addr) *string {
	if s.cfg.Resolver == nil {
		return nil
	}
	names, err := s.cfg.Resolver.PTR(ctx, ip.WithZone(""))
	if err != nil || len(names) == 0 {
		return nil
	}
	return &names[0]
}

// mapsTo is -p's check: one of name's addresses is ip.
func (s *Server) mapsTo(ctx context.Context, name string, ip netip.Addr) bool {
	addrs, err := s.cfg.Resolver.IP(ctx, name)
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, a := range addrs {
		if a.Unmap() == ip {
			return true
		}
	}
	return false
}

// ruleQuery describes the connection to the rules: v4-mapped peers are
// looked up as dotted IPv4, as Debian's tcpserver does.
func ruleQuery(i tcpenv.Info) rules.Query {
	q := rules.Query{IP: i.Remote.Addr().Unmap().WithZone("").String()}
	if i.RemoteHost != nil {
		q.Host = *i.RemoteHost
	}
	if i.RemoteInfo != nil {
		q.Info = *i.RemoteInfo
	}
	return q
}

func writeAll(fd int, s string) error {
	b := []byte(s)
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
