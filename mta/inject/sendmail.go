package inject

import (
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

const sendmailUsage = "[ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]"

// Sendmail is qmail's sendmail front end: it translates the options
// programs pass to sendmail into a qmail-inject call, and runs
// qmail-qread for -bp (mailq) and qmail-smtpd for -bs. Options sendmail
// has and qmail has no use for (-i, -oi, -oem, -v, -B, -p, -x, -E, -J)
// are accepted and ignored.
func Sendmail(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	args := inv.Args[1:]
	header := false
	var sender *string
	env := inv.Env
	var rest []string
	if filepath.Base(inv.Args[0]) == "mailq" {
		return execIn(inv, home, "qmail-qread", nil)
	}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		opt, val := a[1], a[2:]
		needArg := func() (string, bool) {
			if val != "" {
				return val, true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		switch opt {
		case 't':
			header = true
		case 'i', 'v', 'm', 'n', 'U':
		case 'f', 'r':
			v, ok := needArg()
			if !ok {
				return inv.Usage(sendmailUsage)
			}
			sender = &v
		case 'F':
			v, ok := needArg()
			if !ok {
				return inv.Usage(sendmailUsage)
			}
			env = cli.Setenv(env, "MAILNAME", v)
		case 'o', 'B', 'p', 'e', 'x', 'E', 'J', 'h', 'C', 'L', 'N', 'O', 'R', 'V', 'X', 'q':
			// options with a value (often attached) that qmail ignores
			if val == "" && strings.IndexByte("BpeCLNORVX", opt) >= 0 {
				needArg()
			}
		case 'b':
			switch val {
			case "p":
				return execIn(inv, home, "qmail-qread", nil)
			case "s":
				return execIn(inv, home, "qmail-smtpd", nil)
			case "m", "":
			default:
				return inv.Fatal(cli.ExitPermanent, "unsupported option -b%s", val)
			}
		default:
			return inv.Usage(sendmailUsage)
		}
	}
	rest = args[i:]
	qi := []string{"qmail-inject"}
	if header {
		qi = append(qi, "-H")
	} else {
		qi = append(qi, "-a")
	}
	if sender != nil {
		qi = append(qi, "-f", *sender)
	}
	qi = append(qi, "--")
	qi = append(qi, rest...)
	// qmail's sendmail execs qmail-inject; here both are this package,
	// so qmail-inject runs in this process, which saves a program start
	// for every message a cron job or a web application sends.
	return Main(&cli.Invocation{Name: "qmail-inject", Args: qi, Env: env,
		Stdin: inv.Stdin, Stdout: inv.Stdout, Stderr: inv.Stderr})
}

func execIn(inv *cli.Invocation, home, prog string, args []string) int {
	path := filepath.Join(home, "bin", prog)
	argv := append([]string{prog}, args...)
	err := syscall.Exec(path, argv, inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", path, err)
}
