# Runs Debian's Mail::DKIM (libmail-dkim-perl) for mta/dkim's
# interoperability tests, its DNS through the test server at IP PORT.
#   mailkdim.pl verify IP PORT            < message   one result per signature
#   mailkdim.pl sign IP PORT SEL DOM KEY CANON < message   the signed message
#   mailkdim.pl arcverify IP PORT         < message   the chain's result
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Mail::DKIM::Signer;
use Mail::DKIM::ARC::Verifier;
use Mail::DKIM::DNS;
use Net::DNS;

my ($mode, $ip, $port, @rest) = @ARGV;
Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	nameservers => [$ip], port => $port, recurse => 1,
	udp_timeout => 5, tcp_timeout => 5, retry => 1));
binmode STDIN;
binmode STDOUT;
my $msg = do { local $/; <STDIN> };
$msg =~ s/\r?\n/\r\n/g;

if ($mode eq 'verify' || $mode eq 'arcverify') {
	my $v = $mode eq 'verify' ? Mail::DKIM::Verifier->new() : Mail::DKIM::ARC::Verifier->new(Strict => 1);
	$v->PRINT($msg);
	$v->CLOSE;
	if ($mode eq 'arcverify') {
		print $v->result, "\n";
		exit 0;
	}
	foreach my $sig ($v->signatures) {
		print $sig->result, "\n";
	}
} elsif ($mode eq 'sign') {
	my ($sel, $dom, $key, $canon) = @rest;
	my $s = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => $canon,
		Domain => $dom, Selector => $sel, KeyFile => $key,
		Headers => 'from:to:subject:date:message-id');
	$s->PRINT($msg);
	$s->CLOSE;
	print $s->signature->as_string, "\r\n", $msg;
} else {
	die "unknown mode $mode\n";
}
