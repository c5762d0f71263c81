"""The programs the trust probe runs on the lab host: the roots Python's ssl and requests trust, the CA
file and directory Perl's clients resolve, and Net::SSLeay's own verification of a chain."""

from __future__ import annotations

# every root Python's default context trusts (cafile loaded now, and capath read as OpenSSL would)
PY_SSL = r"""
import json, os, re, ssl
p = ssl.get_default_verify_paths()
ctx = ssl.create_default_context()
pems = [ssl.DER_cert_to_PEM_cert(c) for c in ctx.get_ca_certs(binary_form=True)]
if not pems and p.capath and os.path.isdir(p.capath):
    for f in sorted(os.listdir(p.capath)):
        if re.fullmatch(r"[0-9a-f]{8}\.\d+", f):
            pems.append(open(os.path.join(p.capath, f)).read())
print(json.dumps({"cafile": p.cafile, "capath": p.capath, "pem": "".join(pems)}))
"""

# the bundle requests verifies with: REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's
PY_REQUESTS = r"""
import json, os
import requests.certs
b = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or requests.certs.where()
print(json.dumps({"bundle": b, "pem": ""}))
"""

# the CA file and directory a client will verify with, as the client itself resolves them
PERL_CA = r"""
use strict; use warnings;
my $which = shift;
my %ca;
if ($which eq 'lwp') {
    require LWP::UserAgent; require LWP::Protocol::https;
    my $ua = LWP::UserAgent->new;
    my %o = LWP::Protocol::https->new('https', $ua)->_extra_sock_opts;
    %ca = (file => $o{SSL_ca_file}, path => $o{SSL_ca_path});
    unless ($ca{file} || $ca{path}) { require IO::Socket::SSL; my %d = IO::Socket::SSL::default_ca();
        %ca = (file => $d{SSL_ca_file}, path => $d{SSL_ca_path}); }
} else {
    require IO::Socket::SSL;
    my %d = IO::Socket::SSL::default_ca();
    %ca = (file => $d{SSL_ca_file}, path => $d{SSL_ca_path});
}
for (qw(file path)) { my $v = $ca{$_}; $v = join(':', @$v) if ref $v; print "$_=", ($v // ''), "\n"; }
"""

# X509_verify_cert through Net::SSLeay (IO::Socket::SSL's engine), printing the chain's fingerprints
PERL_VERIFY = r"""
use strict; use warnings;
use Net::SSLeay;
Net::SSLeay::load_error_strings(); Net::SSLeay::OpenSSL_add_all_algorithms();
my ($cert, $file, $path, $at) = @ARGV;
my $ctx = Net::SSLeay::CTX_new() or die "no SSL context\n";
Net::SSLeay::CTX_load_verify_locations($ctx, $file || '', $path || '') or print "load=failed\n";
my $store = Net::SSLeay::CTX_get_cert_store($ctx);
if ($at) {  # a fixed verification time (R11 past its notAfter)
    my $param = Net::SSLeay::X509_VERIFY_PARAM_new();
    Net::SSLeay::X509_VERIFY_PARAM_set_time($param, $at);
    Net::SSLeay::X509_STORE_set1_param($store, $param);
    print "at=$at\n";
}
my $bio = Net::SSLeay::BIO_new_file($cert, 'r') or die "cannot read $cert\n";
my $x = Net::SSLeay::PEM_read_bio_X509($bio);
my $sctx = Net::SSLeay::X509_STORE_CTX_new();
Net::SSLeay::X509_STORE_CTX_init($sctx, $store, $x);
my $ok = Net::SSLeay::X509_verify_cert($sctx);
print "ok=$ok error=", Net::SSLeay::X509_verify_cert_error_string(Net::SSLeay::X509_STORE_CTX_get_error($sctx)), "\n";
my $chain = Net::SSLeay::X509_STORE_CTX_get1_chain($sctx);
for my $i (0 .. ($chain ? Net::SSLeay::sk_X509_num($chain) - 1 : -1)) {
    my $c = Net::SSLeay::sk_X509_value($chain, $i);
    print "depth=$i fp=", Net::SSLeay::X509_get_fingerprint($c, 'sha256'), " ",
        Net::SSLeay::X509_NAME_oneline(Net::SSLeay::X509_get_subject_name($c)), "\n";
}
"""
