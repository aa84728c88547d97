// Package passwd checks passwords for the checkpassword interface
// (https://cr.yp.to/checkpwd/interface.html): system users from
// /etc/passwd and /etc/shadow (checkpassword), and virtual users from a
// text file compiled into a cdb (checkvpw, cmd5checkpw, qmail-newvpw).
//
// The crypt(3) schemes are written from their published descriptions,
// without cgo:
//
//   - "$1$": the FreeBSD MD5-based crypt (Poul-Henning Kamp), as glibc and
//     libxcrypt implement it;
//   - "$5$" and "$6$": SHA-256 and SHA-512 crypt as specified by Ulrich
//     Drepper ("Unix crypt using SHA-256 and SHA-512"), rounds= included;
//   - "$y$" and "$7$": yescrypt (Debian 12's default) and classic scrypt,
//     from Openwall's yescrypt specification, within cost bounds (at most
//     about 1 GiB of memory, libxcrypt's highest cost, and what the
//     process's limits leave).
//
// Traditional DES crypt, bcrypt, gost-yescrypt ("$gy$": it needs the
// Streebog hash, GOST R 34.11-2012, which the standard library lacks) and
// anything else is refused, as are locked entries ("!" or "*" prefixes).
package passwd
