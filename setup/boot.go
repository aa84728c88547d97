package setup

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// svscanbootScript is daemontools' svscanboot with the paths of this
// installation: svscan on the service directory with a clean
// environment, its errors shown in the process list by readproctitle.
func svscanbootScript(c *Config) string {
	return fmt.Sprintf(`#!/bin/sh
# svscanboot: start svscan on %[2]s at boot (from /etc/inittab or
# quail.service); written by quail-setup.
PATH=%[1]s:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin
exec </dev/null >/dev/null 2>/dev/null
env - PATH=$PATH svscan %[2]s 2>&1 | \
env - PATH=$PATH readproctitle service errors: %[3]s
`, c.BinDir, c.ServiceDir, strings.Repeat(".", 400))
}

func systemdUnit(c *Config) string {
	return fmt.Sprintf(`# quail: svscan supervises the mail services in %[2]s.
# Written by quail-setup; enable with: systemctl enable --now quail
[Unit]
Description=quail mail system (svscan %[2]s)
After=network.target

[Service]
Environment=PATH=%[1]s:/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
ExecStart=%[1]s/svscan %[2]s
# svscan takes the services down in order on SIGTERM.
KillMode=process
Restart=always

[Install]
WantedBy=multi-user.target
`, c.BinDir, c.ServiceDir)
}

// boot installs a way to start svscan at boot: a systemd unit where
// systemd runs the machine, else the svscanboot line daemontools adds to
// /etc/inittab. svscanboot is the installed one when BinDir has it, else
// a script of the same job written to QMAILHOME/boot/svscanboot.
func (in *installer) boot(o owners) error {
	c := in.cfg
	bootCmd := filepath.Join(c.BinDir, "svscanboot") + " " + c.ServiceDir
	if !exists(filepath.Join(c.BinDir, "svscanboot")) {
		bootCmd = filepath.Join(c.Home, "boot", "svscanboot")
		if err := in.file(c.homePath("boot", "svscanboot"), svscanbootScript(c), 0o755, o.root); err != nil {
			return err
		}
	}
	if exists(c.path("run/systemd/system")) {
		if err := in.dir(c.path("etc/systemd/system"), 0o755, owner{0, 0}); err != nil {
			return err
		}
		unit := c.path("etc/systemd/system/quail.service")
		fresh := !exists(unit)
		if err := in.file(unit, systemdUnit(c), 0o644, owner{0, 0}); err != nil {
			return err
		}
		if fresh {
			in.say("start the services with: systemctl daemon-reload && systemctl enable --now quail")
		}
		return nil
	}
	tab := c.path("etc/inittab")
	b, err := os.ReadFile(tab)
	if os.IsNotExist(err) {
		in.say("no systemd and no /etc/inittab: have your init run %s", bootCmd)
		return nil
	}
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "svscanboot") {
		return nil
	}
	if err := appendLine(tab, "SV:123456:respawn:"+bootCmd, false); err != nil {
		return err
	}
	in.changes++
	in.say("added svscanboot to /etc/inittab; start it now with: init q")
	return nil
}
