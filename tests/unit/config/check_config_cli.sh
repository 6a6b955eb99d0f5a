#!/usr/bin/env bash
# Runs the built authgate binary with an empty environment (so the machine's AUTH0_* or
# OIDC_* variables cannot leak in) and checks exit codes and messages.
set -u
bin=$1
data=$2
fail=0
check() { # description, condition result
  if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi
}
contains() { grep -qF -- "$2" <<<"$1"; echo $?; }

out=$(env -i PATH="$PATH" "$bin" check-config -c "$data/bad.yaml" 2>&1); rc=$?
echo "$out"
check "bad file exits 1" $([ $rc -eq 1 ]; echo $?)
check "unknown key" $(contains "$out" 'server.lisen: unknown key (did you mean server.listen?)')
check "duration" $(contains "$out" 'session.idle_timeout: invalid duration "15x" (use 90s, 15m, 24h, 7d)')
check "issuer https" $(contains "$out" 'provider.issuer: "http://tenant.auth0.com/" must use https')
check "alg none" $(contains "$out" 'provider.id_token_algs: "none" is never accepted')
check "no configuration ok" $([ "$(contains "$out" 'configuration ok')" -ne 0 ]; echo $?)

out=$(env -i PATH="$PATH" "$bin" check-config --print -c "$data/bad.yaml" 2>&1)
check "print redacts client secret" $([ "$(contains "$out" 'sup3r-s3cret-value')" -ne 0 ]; echo $?)
check "print redacts redis password" $([ "$(contains "$out" 'redis-pa55')" -ne 0 ]; echo $?)
check "print shows [redacted]" $(contains "$out" 'client_secret: "[redacted]"')

out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$data/good.yaml" 2>&1); rc=$?
check "good file exits 0" $([ $rc -eq 0 ]; echo $?)
check "good file says ok" $(contains "$out" 'configuration ok')

# Without --offline the provider is probed: nothing listens on this loopback port.
cat >"${TMPDIR:-/tmp}/authgate-unreachable.yaml" <<YAML
provider:
  issuer: "http://127.0.0.1:9/"
  client_id: cid
  client_secret: s3cret
session:
  store: memory
YAML
out=$(env -i PATH="$PATH" "$bin" check-config -c "${TMPDIR:-/tmp}/authgate-unreachable.yaml" 2>&1); rc=$?
check "unreachable provider exits 1" $([ $rc -eq 1 ]; echo $?)
check "discovery failure named" $(contains "$out" 'provider.issuer: discovery at http://127.0.0.1:9/.well-known/openid-configuration failed')

out=$(env -i PATH="$PATH" AUTHGATE_SESSION_STORE=bogus "$bin" check-config -c "$data/good.yaml" 2>&1); rc=$?
check "environment override is checked" $([ $rc -eq 1 ]; echo $?)
check "override named" $(contains "$out" 'session.store: unknown store (use sqlite:PATH, redis://host:port/db, redis-sentinel://host:port,.../MASTER_NAME, postgres://host:port/db or memory) (from AUTHGATE_SESSION_STORE)')

out=$(env -i PATH="$PATH" "$bin" check-config -c "$data/missing.yaml" 2>&1); rc=$?
check "missing file exits 1" $([ $rc -eq 1 ]; echo $?)
check "missing file named" $(contains "$out" "$data/missing.yaml: cannot read")

out=$(env -i PATH="$PATH" "$bin" serve -c "$data/bad.yaml" 2>&1); rc=$?
check "serve refuses bad settings with 1" $([ $rc -eq 1 ]; echo $?)
check "serve prints every problem" $(contains "$out" 'session.idle_timeout: invalid duration')

out=$(env -i PATH="$PATH" "$bin" version 2>&1); rc=$?
check "version exits 0" $([ $rc -eq 0 ]; echo $?)
check "version names OpenSSL" $(contains "$out" 'OpenSSL')

out=$(env -i PATH="$PATH" "$bin" token verify abc 2>&1); rc=$?
check "token verify without an issuer exits 1" $([ $rc -eq 1 ]; echo $?)
check "token verify names the missing key" $(contains "$out" 'provider.issuer: required')

# --env-file: OpenMetadata's Auth0 guide file as published, repeatable, and AUTHGATE_ENV_FILE.
examples="$data/../../../../examples"
out=$(env -i PATH="$PATH" AUTHGATE_SERVER_LISTEN=0.0.0.0:8585 "$bin" check-config --offline --env-file "$data/openmetadata_auth0_authcode.env" 2>&1); rc=$?
check "guide env file loads unchanged" $([ $rc -eq 0 ]; echo $?)
check "offline says what it did not check" $(contains "$out" 'configuration ok (offline: settings only; discovery, JWKS and the client credentials were not checked)')
check "no upstream is a warning" $(contains "$out" 'warning: upstream.url: not set: only /auth/* and the OpenMetadata aliases will answer')
out=$(env -i PATH="$PATH" "$bin" check-config --offline --env-file "$data/openmetadata_auth0_authcode.env" 2>&1); rc=$?
check "guide file on the default listen: the callback cannot arrive" $([ $rc -eq 1 ]; echo $?)
check "listen problem names the port" $(contains "$out" 'server.listen: "127.0.0.1:4180" cannot receive http://localhost:8585 (provider.callback_url): listen on port 8585')
out=$(env -i PATH="$PATH" "$bin" check-config --offline --env-file "$data/openmetadata_auth0_implicit.env" 2>&1); rc=$?
check "implicit tab refused for being public" $(contains "$out" 'AUTHENTICATION_CLIENT_TYPE: public (browser-only)')
printf 'AUTHENTICATION_CLIENT_TYPE=confidential\nOIDC_CLIENT_SECRET=x\n' >"${TMPDIR:-/tmp}/authgate-secret.env"
out=$(env -i PATH="$PATH" AUTHGATE_SERVER_LISTEN=127.0.0.1:8585 "$bin" check-config --offline --env-file "$data/openmetadata_auth0_implicit.env" --env-file "${TMPDIR:-/tmp}/authgate-secret.env" 2>&1); rc=$?
check "second --env-file wins" $([ $rc -eq 0 ]; echo $?)
out=$(env -i PATH="$PATH" AUTHGATE_SERVER_LISTEN=0.0.0.0:8585 AUTHGATE_ENV_FILE="$data/openmetadata_auth0_authcode.env" "$bin" check-config --offline --print 2>&1); rc=$?
check "AUTHGATE_ENV_FILE is read" $([ $rc -eq 0 ]; echo $?)
check "AUTHGATE_ENV_FILE values used" $(contains "$out" 'https://dev-abc123.us.auth0.com/')
out=$(env -i PATH="$PATH" OIDC_CLIENT_SECRET= AUTHGATE_PROVIDER_CLIENT_ID=from-process "$bin" check-config --offline --print --env-file "$data/openmetadata_auth0_authcode.env" 2>&1)
check "process environment wins over the file" $(contains "$out" 'client_id: from-process')
check "an empty process variable wins too" $(contains "$out" 'provider.client_secret: required')
printf 'A=1\nconfidential\nAUTH0_DOMAIN ? x\n' >"${TMPDIR:-/tmp}/authgate-bad.env"
out=$(env -i PATH="$PATH" "$bin" check-config --offline --env-file "${TMPDIR:-/tmp}/authgate-bad.env" 2>&1); rc=$?
check "bad env file exits 1" $([ $rc -eq 1 ]; echo $?)
check "bad env line named" $(contains "$out" "authgate-bad.env:3: expected = after AUTH0_DOMAIN")
out=$(env -i PATH="$PATH" "$bin" token verify --env-file "$data/openmetadata_auth0_authcode.env" abc 2>&1); rc=$?
check "--env-file takes one value, positional after it" $([ "$(contains "$out" 'provider.issuer: required')" -ne 0 ]; echo $?)
out=$(env -i PATH="$PATH" bash -c "set -a; . '$examples/openmetadata.env'; exec '$bin' check-config --offline" 2>&1); rc=$?
check "examples/openmetadata.env also works sourced in bash" $([ $rc -eq 0 ]; echo $?)
out=$(env -i PATH="$PATH" "$bin" check-config --offline --env-file "$examples/openmetadata.env" 2>&1); rc=$?
check "examples/openmetadata.env with --env-file" $([ $rc -eq 0 ]; echo $?)

out=$(env -i PATH="$PATH" AUTH0_CLIENTID=x "$bin" check-config --offline -c "$data/good.yaml" 2>&1); rc=$?
check "misspelt variable still ok" $([ $rc -eq 0 ]; echo $?)
check "misspelt variable warned" $(contains "$out" 'warning: AUTH0_CLIENTID: unknown variable, ignored (did you mean AUTH0_CLIENT_ID?)')

out=$(env -i PATH="$PATH" "$bin" --version 2>&1); rc=$?
check "--version exits 0" $([ $rc -eq 0 ]; echo $?)
check "--version names authgate and OpenSSL" $(contains "$out" 'OpenSSL')
out=$(env -i PATH="$PATH" "$bin" discover 2>&1); rc=$?
check "discover without an issuer exits 1" $([ $rc -eq 1 ]; echo $?)
check "discover says where the issuer comes from" $(contains "$out" 'give ISSUER, or set provider.issuer')
out=$(env -i PATH="$PATH" "$bin" discover -c "${TMPDIR:-/tmp}/authgate-unreachable.yaml" 2>&1); rc=$?
check "discover -c probes the configured issuer" $(contains "$out" 'discovery: http://127.0.0.1:9/.well-known/openid-configuration')
printf 'session:\n  store: memory\n' >"${TMPDIR:-/tmp}/authgate-store-only.yaml"
out=$(env -i PATH="$PATH" "$bin" sessions list -c "${TMPDIR:-/tmp}/authgate-store-only.yaml" 2>&1); rc=$?
check "sessions list without provider settings exits 0" $([ $rc -eq 0 ]; echo $?)
out=$(env -i PATH="$PATH" "$bin" sessions revoke --all -c "${TMPDIR:-/tmp}/authgate-store-only.yaml" 2>&1); rc=$?
check "sessions revoke without provider settings exits 0" $([ $rc -eq 0 ]; echo $?)
out=$(env -i PATH="$PATH" AUTHGATE_SESSION_STORE=bogus "$bin" sessions list -c "${TMPDIR:-/tmp}/authgate-store-only.yaml" 2>&1); rc=$?
check "sessions list still refuses a bad store" $([ $rc -eq 1 ]; echo $?)
out=$(env -i PATH="$PATH" "$bin" token verify --audience x abc 2>&1); rc=$?
check "token verify --audience needs --kind access" $(contains "$out" 'add --kind access')
out=$(env -i PATH="$PATH" "$bin" token verify --kind both abc 2>&1); rc=$?
check "token verify --kind is id or access" $([ $rc -eq 1 ]; echo $?)

# keys generate / rotate: the file serve reads, mode 0600, old keys kept.
kdir=$(mktemp -d); keyfile="$kdir/session.key"
out=$(env -i PATH="$PATH" "$bin" keys generate --file "$keyfile" 2>&1); rc=$?
check "keys generate exits 0" $([ $rc -eq 0 ]; echo $?)
check "keys generate mode 0600" $([ "$(stat -c %a "$keyfile")" = 600 ]; echo $?)
first=$(grep -v '^#' "$keyfile")
check "keys generate does not print the key" $([ "$(contains "$out" "$first")" -ne 0 ]; echo $?)
out=$(env -i PATH="$PATH" "$bin" keys generate --file "$keyfile" 2>&1); rc=$?
check "keys generate never overwrites" $([ $rc -eq 1 ] && [ "$(grep -v '^#' "$keyfile")" = "$first" ]; echo $?)
check "keys generate points at rotate" $(contains "$out" 'use authgate keys rotate')
out=$(env -i PATH="$PATH" AUTHGATE_SESSION_ENCRYPTION_KEY_FILE="$keyfile" "$bin" keys rotate 2>&1); rc=$?
check "keys rotate uses session.encryption_key_file" $([ $rc -eq 0 ]; echo $?)
check "keys rotate: two keys, old second" $([ "$(grep -vc '^#' "$keyfile")" = 2 ] && [ "$(grep -v '^#' "$keyfile" | sed -n 2p)" = "$first" ]; echo $?)
check "keys rotate keeps mode 0600" $([ "$(stat -c %a "$keyfile")" = 600 ]; echo $?)
out=$(env -i PATH="$PATH" AUTHGATE_SESSION_STORE=redis://127.0.0.1:9/0 "$bin" keys generate 2>&1); rc=$?
check "keys generate for a shared store needs a path" $(contains "$out" 'session.encryption_key_file: not set')
printf 'provider: {issuer: "https://t.auth0.com/", client_id: c, client_secret: s}\nsession: {store: "redis://127.0.0.1:9/0", encryption_key_file: "%s"}\n' "$keyfile" >"$kdir/redis.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$kdir/redis.yaml" 2>&1); rc=$?
check "a rotated file is a valid key file" $([ $rc -eq 0 ]; echo $?)
out=$(env -i PATH="$PATH" "$bin" keys client-jwk -c "$kdir/redis.yaml" 2>&1); rc=$?
check "keys client-jwk with a secret method exits 1" $([ $rc -eq 1 ]; echo $?)
check "keys client-jwk names the method" $(contains "$out" 'client-jwk prints the key of private_key_jwt')
printf 'not a key\n' >"$kdir/bad.pem"
printf 'provider: {issuer: "https://t.auth0.com/", client_id: c, client_auth_method: private_key_jwt, client_private_key_file: "%s"}\nsession: {store: memory}\n' "$kdir/bad.pem" >"$kdir/pkjwt.yaml"
out=$(env -i PATH="$PATH" "$bin" keys client-jwk -c "$kdir/pkjwt.yaml" 2>&1); rc=$?
check "keys client-jwk with a bad key exits 1" $([ $rc -eq 1 ]; echo $?)
check "keys client-jwk says the key is not one" $(contains "$out" 'bad_private_key')
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$kdir/pkjwt.yaml" 2>&1); rc=$?
check "check-config --offline refuses a bad client key" $([ $rc -eq 1 ] && [ "$(contains "$out" 'provider.client_private_key_file: not an unencrypted PEM private key (bad_private_key)')" = 0 ]; echo $?)
rm -rf "$kdir"

# Deployment checks (offline): what serve would refuse or what fails at the first login.
cdir=$(mktemp -d)
printf 'provider: {issuer: "https://t.auth0.com/", client_id: c, client_secret: s, callback_url: "https://app.example.com/oauth/cb"}\nsession: {store: memory}\n' >"$cdir/cb.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$cdir/cb.yaml" 2>&1); rc=$?
check "unserved callback path exits 1" $([ $rc -eq 1 ]; echo $?)
check "unserved callback path named" $(contains "$out" 'provider.callback_url: path "/oauth/cb" is not served by authgate (it answers /auth/callback; OpenMetadata'"'"'s /callback only with compat.openmetadata_aliases)')
printf 'provider: {issuer: "https://t.auth0.com/", client_id: c, client_secret: s, callback_url: "https://app.example.com/callback"}\nsession: {store: memory}\n' >"$cdir/om.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$cdir/om.yaml" 2>&1); rc=$?
check "/callback without the aliases is refused" $(contains "$out" 'provider.callback_url: path "/callback" is not served')
printf 'compat: {openmetadata_aliases: "true"}\n' >>"$cdir/om.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$cdir/om.yaml" 2>&1); rc=$?
check "/callback with the aliases is served" $([ "$(contains "$out" 'is not served')" -eq 1 ]; echo $?)
printf 'provider: {issuer: "https://t.auth0.com/", client_id: c, client_secret: s}\nsession: {store: "redis://127.0.0.1:9/0"}\n' >"$cdir/redis.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$cdir/redis.yaml" 2>&1); rc=$?
check "shared store without a key exits 1" $([ $rc -eq 1 ]; echo $?)
check "shared store key named" $(contains "$out" 'session.encryption_key_file: required for a shared store')
printf 'server: {listen: "127.0.0.1:4180", public_url: "http://localhost:8080"}\nprovider: {issuer: "https://t.auth0.com/", client_id: c, client_secret: s}\nsession: {store: memory}\n' >"$cdir/listen.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$cdir/listen.yaml" 2>&1); rc=$?
check "public_url and listen disagree exits 1" $([ $rc -eq 1 ]; echo $?)
check "public_url and listen named" $(contains "$out" 'server.listen: "127.0.0.1:4180" cannot receive http://localhost:8080 (server.public_url)')
printf 'server: {listen: "0.0.0.0:4180", public_url: "https://app.example.com"}\nprovider: {issuer: "https://t.auth0.com/", client_id: c, client_secret: s}\nsession: {store: memory}\nupstream: {url: "http://127.0.0.1:3000"}\n' >"$cdir/proxied.yaml"
out=$(env -i PATH="$PATH" "$bin" check-config --offline -c "$cdir/proxied.yaml" 2>&1); rc=$?
check "a public host behind a proxy is fine" $([ $rc -eq 0 ]; echo $?)
check "with an upstream there is no upstream warning" $([ "$(contains "$out" 'upstream.url')" -ne 0 ]; echo $?)
rm -rf "$cdir"

exit $fail
