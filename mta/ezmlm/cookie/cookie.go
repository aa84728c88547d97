// Package cookie makes the keyed codes of ezmlm: the confirmation
// cookies of ezmlm-manage, ezmlm-store, ezmlm-warn and ezmlm-return
// (ezmlm 0.53's cookie.c, kept by ezmlm-idx 7), and the unkeyed subject
// and author hashes of ezmlm-idx's archive index (makehash.c). Both are
// built on djb's SURF, so that a cookie sent by an ezmlm installation
// before a list moved to quail is still accepted, and an index written
// by either is read by the other.
//
// A cookie is 20 letters from 'a' to 'p' (four bits each):
//
//	Cookie(key, "1180000000", "box@example.org", 's')
//
// is the code in a subscription confirmation address
// list-sc.1180000000.COOKIE-box=example.org@host.
package cookie

// Len is the length of a cookie and of a hash.
const Len = 20

// Cookie is ezmlm's cookie(hash, key, keylen, date, addr, action): a
// SURF seed made from key, then the date, the address (each with its
// terminating NUL) and the one action byte hashed with it. action 0
// hashes a NUL, as the C code does for an empty action string.
func Cookie(key []byte, date, addr string, action byte) string {
	var seed [32]uint32
	for j := 0; j < 4; j++ {
		s := newPCS(&seed, false)
		s.add(key)
		out := s.out()
		for i := range seed {
			seed[i] = seed[i]<<8 + uint32(out[i])
		}
	}
	s := newPCS(&seed, false)
	s.add([]byte(date))
	s.addByte(0)
	s.add([]byte(addr))
	s.addByte(0)
	s.addByte(action)
	return letters(s.out())
}

// Hash is ezmlm-idx's makehash: an unkeyed SURF hash of data that
// ignores spaces and tabs, as the archive index keys subjects and
// authors. Its capitals are those of ezmlm-idx 7.2.2, the release lists
// are made with: meant to be folded to lower case, each ASCII capital
// is moved 32 places down instead ('A' is hashed as '!'), so "Re: JBOD"
// and "Re: jbod" hash differently. quail keeps that, so that the hashes
// of an existing index are the ones quail computes (ezmlm-idx 0.4x
// folded to lower case; a list indexed by it would need ezmlm-idx's
// reindexing to thread by subject across the move).
func Hash(data []byte) string {
	var seed [32]uint32
	s := newPCS(&seed, true)
	s.add(data)
	return letters(s.out())
}

// AuthorHash is ezmlm-idx's mkauthhash: the hash of the part of a From
// field that names the author's address, the same for every message of
// one author. From the last '@' it takes what follows up to '>', ' ' or
// ';', and what precedes back to '<', ' ' or ';' (that byte included)
// but without anything from the first '-' of the local part on, so that
// an author's "box-tag@" addresses count as one. Without an '@' the
// whole field is hashed.
func AuthorHash(from []byte) string {
	i := lastIndex(from, '@')
	if i < 0 {
		return Hash(from)
	}
	j := i + 1
	for ; j < len(from); j++ {
		if c := from[j]; c == '>' || c == ' ' || c == ';' {
			break
		}
	}
	k := i
	for k > 0 {
		k--
		if c := from[k]; c == '<' || c == ' ' || c == ';' {
			break
		}
	}
	l := k
	for l < i && from[l] != '-' {
		l++
	}
	b := append(append([]byte{}, from[k:l]...), from[i:j]...)
	return Hash(b)
}

func lastIndex(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func letters(h [32]byte) string {
	var b [Len]byte
	for i := range b {
		b[i] = 'a' + h[i]&15
	}
	return string(b[:])
}
