package spf

import (
	"context"
	"net/netip"

	"github.com/quail-mta/quail/dnsclient"
)

// noDNS answers every question with "no such name", for fuzzing the
// evaluator without a server.
type noDNS struct{}

var errNX = &dnsclient.Error{Err: dnsclient.ErrNotFound}

func (noDNS) TXT(context.Context, string) ([]string, error)      { return nil, errNX }
func (noDNS) A(context.Context, string) ([]netip.Addr, error)    { return nil, errNX }
func (noDNS) AAAA(context.Context, string) ([]netip.Addr, error) { return nil, errNX }
func (noDNS) MX(context.Context, string) ([]dnsclient.MX, error) { return nil, errNX }
func (noDNS) PTR(context.Context, netip.Addr) ([]string, error)  { return nil, errNX }
