// Package sslprint is sslprint of ucspi-ssl: sslserver with a program of
// its own, which prints the connection's variables to the client, one
// "\nNAME=value" for each of a fixed list (value "unset" for a variable
// that is not set) and a final newline, in the order of fehcom's
// sslprint.c. It takes sslserver's options and environment and ends with
// host and port; the words after them are ignored.
//
// The program is sslprint itself, run under a name no one types
// ("sslprint:print"), so each connection prints exactly what sslserver
// handed it.
//
// Exit codes: those of sslserver.
package sslprint

import (
	"bufio"
	"io"
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/sslserver"
)

// printName is argv[0] of the per-connection program.
const printName = "sslprint:print"

const synopsis = "[ -461UXpPhHrRoOdDqQvVnNsSeEzZm ] [ -c limit ] [ -C maxconip ] [ -x rules.cdb ] [ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -t timeout ] [ -T handshake ] [ -w idle ] [ -I interface ] host port"

// Main runs sslprint, or its per-connection program.
func Main(inv *cli.Invocation) int {
	if len(inv.Args) == 1 && inv.Args[0] == printName {
		Print(inv.Stdout, inv.Getenv)
		return cli.ExitOK
	}
	self, err := os.Executable()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to find my own program: %v", err)
	}
	return sslserver.Run(inv, sslserver.Program{Name: "sslprint", Synopsis: synopsis, Argv: []string{printName}, Path: self})
}

// Vars are the variables printed, in order.
var Vars = []string{
	// the connection
	"PROTO", "SSLLOCALHOST", "SSLLOCALIP", "SSLLOCALPORT",
	"SSLREMOTEHOST", "SSLREMOTEIP", "SSLREMOTEPORT", "SSLREMOTEINFO",
	"TCPLOCALHOST", "TCPLOCALIP", "TCPLOCALPORT",
	"TCPREMOTEHOST", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPREMOTEINFO",
	"TCP6REMOTEHOST", "TCP6REMOTEIP", "TCP6REMOTEPORT",
	// the session
	"SSL_PROTOCOL", "SSL_SESSION_ID", "SSL_CIPHER", "SSL_CIPHER_EXPORT",
	"SSL_CIPHER_USEKEYSIZE", "SSL_CIPHER_ALGKEYSIZE",
	"SSL_VERSION_INTERFACE", "SSL_VERSION_LIBRARY", "SSL_TLS_SNI",
	// the server's certificate
	"SSL_SERVER_M_VERSION", "SSL_SERVER_M_SERIAL",
	"SSL_SERVER_S_DN", "SSL_SERVER_S_DN_C", "SSL_SERVER_S_DN_ST", "SSL_SERVER_S_DN_L",
	"SSL_SERVER_S_DN_O", "SSL_SERVER_S_DN_OU", "SSL_SERVER_S_DN_CN", "SSL_SERVER_S_DN_T",
	"SSL_SERVER_S_DN_I", "SSL_SERVER_S_DN_G", "SSL_SERVER_S_DN_S", "SSL_SERVER_S_DN_D",
	"SSL_SERVER_S_DN_UID", "SSL_SERVER_S_DN_Email",
	"SSL_SERVER_SAN_Email_0", "SSL_SERVER_SAN_Email_1", "SSL_SERVER_SAN_DNS_0", "SSL_SERVER_SAN_DNS_1",
	"SSL_SERVER_I_DN", "SSL_SERVER_I_DN_C", "SSL_SERVER_I_DN_ST", "SSL_SERVER_I_DN_L",
	"SSL_SERVER_I_DN_O", "SSL_SERVER_I_DN_OU", "SSL_SERVER_I_DN_CN", "SSL_SERVER_I_DN_T",
	"SSL_SERVER_I_DN_I", "SSL_SERVER_I_DN_G", "SSL_SERVER_I_DN_S", "SSL_SERVER_I_DN_D",
	"SSL_SERVER_I_DN_UID", "SSL_SERVER_I_DN_Email",
	"SSL_SERVER_V_START", "SSL_SERVER_V_END", "SSL_SERVER_A_SIG", "SSL_SERVER_A_KEY", "SSL_SERVER_CERT",
	// the client's certificate
	"SSL_CLIENT_M_VERSION", "SSL_CLIENT_M_SERIAL",
	"SSL_CLIENT_S_DN", "SSL_CLIENT_S_DN_C", "SSL_CLIENT_S_DN_ST", "SSL_CLIENT_S_DN_L",
	"SSL_CLIENT_S_DN_O", "SSL_CLIENT_S_DN_OU", "SSL_CLIENT_S_DN_CN", "SSL_CLIENT_S_DN_T",
	"SSL_CLIENT_S_DN_I", "SSL_CLIENT_S_DN_G", "SSL_CLIENT_S_DN_S", "SSL_CLIENT_S_DN_D",
	"SSL_CLIENT_S_DN_UID", "SSL_CLIENT_S_DN_Email",
	"SSL_CLIENT_I_DN", "SSL_CLIENT_I_DN_C", "SSL_CLIENT_I_DN_ST", "SSL_CLIENT_I_DN_L",
	"SSL_CLIENT_I_DN_O", "SSL_CLIENT_I_DN_OU", "SSL_CLIENT_I_DN_CN", "SSL_CLIENT_I_DN_T",
	"SSL_CLIENT_I_DN_I", "SSL_CLIENT_I_DN_G", "SSL_CLIENT_I_DN_S", "SSL_CLIENT_I_DN_D",
	"SSL_CLIENT_I_DN_UID", "SSL_CLIENT_I_DN_Email",
	"SSL_CLIENT_V_START", "SSL_CLIENT_V_END", "SSL_CLIENT_A_SIG", "SSL_CLIENT_A_KEY", "SSL_CLIENT_CERT",
	"SSL_CLIENT_CERT_CHAIN_0", "SSL_CLIENT_CERT_CHAIN_1",
	"SSL_CLIENT_SAN_Email_0", "SSL_CLIENT_SAN_Email_1", "SSL_CLIENT_SAN_DNS_0", "SSL_CLIENT_SAN_DNS_1",
}

// Print writes the variables of Vars as sslprint.c does: "\nNAME=" and the
// value or "unset" for each, then a newline.
func Print(w io.Writer, getenv func(string) (string, bool)) error {
	b := bufio.NewWriterSize(w, 16<<10)
	for _, name := range Vars {
		v, ok := getenv(name)
		if !ok {
			v = "unset"
		}
		b.WriteString("\n" + name + "=" + v)
	}
	b.WriteString("\n")
	return b.Flush()
}
