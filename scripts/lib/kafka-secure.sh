# Secure listeners of scripts/kafka-local.sh, on when KAFKA_SECURE_PORT is set (sourced by it after
# RUN_DIR, KAFKA_PORT and KAFKA_CONTROLLER_PORT are set; needs openssl):
#
#   SASL_SSL on 127.0.0.1:$KAFKA_SECURE_PORT      TLS, then SASL PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or
#                                                 OAUTHBEARER (below)
#   MTLS     on 127.0.0.1:$((KAFKA_SECURE_PORT+1)) TLS with a client certificate signed by the test CA
#
# OAUTHBEARER takes a JWT signed RS256 by the test issuer's key (oauth.key, key id `kafka-local`; the
# broker reads its public half from jwks.json), with `aud` kafka-local, `sub` the user (User:<sub>),
# `iat` and `exp`; a session lasts until the token expires (clients re-authenticate, KIP-368). The
# issuer itself is the tests' (a token endpoint signing with oauth.key).
#
# With them on, the broker authorizes every request by ACLs (StandardAuthorizer): the SASL user
# (User:<name>) and the certificate's subject (User:CN=<name>) may do only what ACLs grant them,
# and ANONYMOUS (the plaintext listener) may do anything, including granting ACLs.
#
# The TLS material lives in $RUN_DIR/tls: ca.pem (the CA clients trust), server.pem (the broker's
# key and certificate, for 127.0.0.1 and localhost), client.pem + client.key (for MTLS), oauth.key
# and jwks.json (the OAUTHBEARER issuer's key pair). It is made
# once and made again when missing or within a day of expiry. The one SASL user is
# KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (default dtx / dtx-local-secret); its SCRAM credentials
# are written when the storage is formatted, so a run dir formatted without them must be reset.

SECURE_PORT="${KAFKA_SECURE_PORT:-}"
SASL_USERNAME="${KAFKA_SASL_USERNAME:-dtx}"
SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-dtx-local-secret}"
TLS_DIR="$RUN_DIR/tls"
SCRAM_FILE="$RUN_DIR/formatted-scram"

secure_enabled() { [[ -n "$SECURE_PORT" ]]; }

secure_check_env() {
  secure_enabled || return 0
  case "$SECURE_PORT" in *[!0-9]*|0*) die "KAFKA_SECURE_PORT must be a port number without leading zeros (got '$SECURE_PORT')" ;; esac
  (( SECURE_PORT >= 1 && SECURE_PORT <= 65534 )) || die "KAFKA_SECURE_PORT must be 1..65534 (it and the next port are used)"
  local p
  for p in "$SECURE_PORT" "$((SECURE_PORT + 1))"; do
    [[ "$p" != "$KAFKA_PORT" && "$p" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_SECURE_PORT and KAFKA_SECURE_PORT+1 must differ from KAFKA_PORT and KAFKA_CONTROLLER_PORT"
  done
  [[ "$SASL_USERNAME" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "KAFKA_SASL_USERNAME must be 1-64 characters of A-Z a-z 0-9 _ . -"
  [[ "$SASL_PASSWORD" =~ ^[A-Za-z0-9_.-]{8,128}$ ]] || die "KAFKA_SASL_PASSWORD must be 8-128 characters of A-Z a-z 0-9 _ . -"
}

secure_ports() { secure_enabled && printf '%s\n' "$SECURE_PORT" "$((SECURE_PORT + 1))"; return 0; }

# A certificate signed by the test CA: $1 name, $2 subject CN, $3 extensions. Fails when openssl does
# (each step is chained: `set -e` does not apply inside a function called before `||`).
sign_cert() {
  openssl req -newkey rsa:2048 -nodes -keyout "$TLS_DIR/$1.key" -out "$TLS_DIR/$1.csr" -subj "/CN=$2" 2>/dev/null &&
    openssl x509 -req -in "$TLS_DIR/$1.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" -CAcreateserial \
      -days 3650 -out "$TLS_DIR/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null &&
    rm -f "$TLS_DIR/$1.csr"
}

# The client certificate names the SASL user (User:CN=<name>): a change of user makes them again.
tls_fresh() {
  local f
  for f in ca.pem server.pem client.pem client.key oauth.key jwks.json; do [[ -s "$TLS_DIR/$f" ]] || return 1; done
  [[ "$(cat "$TLS_DIR/user" 2>/dev/null)" == "$SASL_USERNAME" ]] || return 1
  openssl x509 -checkend 86400 -noout -in "$TLS_DIR/ca.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/client.pem" >/dev/null 2>&1
}

make_tls() {
  command -v openssl >/dev/null 2>&1 || die "openssl is missing (Debian: apt-get install -y openssl)"
  if tls_fresh; then return 0; fi
  log "making the test CA and certificates in $TLS_DIR"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" -days 3650 \
    -subj "/CN=dtx kafka-local test CA" 2>/dev/null || die "openssl could not make the test CA"
  sign_cert server localhost $'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth' || die "openssl could not sign the broker certificate"
  sign_cert client "$SASL_USERNAME" 'extendedKeyUsage=clientAuth' || die "openssl could not sign the client certificate"
  # Kafka's PEM key store: the unencrypted PKCS#8 key, then the certificate chain.
  cat "$TLS_DIR/server.key" "$TLS_DIR/server.crt" >"$TLS_DIR/server.pem"
  mv "$TLS_DIR/client.crt" "$TLS_DIR/client.pem"
  rm -f "$TLS_DIR/server.key" "$TLS_DIR/server.crt"
  make_oauth_keys || die "could not make the OAUTHBEARER issuer's key pair"
  printf '%s' "$SASL_USERNAME" >"$TLS_DIR/user"
}

# The test issuer's RSA key (PKCS#8 PEM) and its public half as a JWK set (node writes the JWK).
make_oauth_keys() {
  command -v node >/dev/null 2>&1 || die "node is missing (it writes the OAUTHBEARER JWK set)"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TLS_DIR/oauth.key" 2>/dev/null &&
    node -e 'const c = require("node:crypto"), fs = require("node:fs");
      const jwk = c.createPublicKey(fs.readFileSync(process.argv[1])).export({ format: "jwk" });
      fs.writeFileSync(process.argv[2], JSON.stringify({ keys: [{ ...jwk, kid: "kafka-local", alg: "RS256", use: "sig" }] }));' \
      "$TLS_DIR/oauth.key" "$TLS_DIR/jwks.json"
}

# JVM flags: Kafka 4.x reads OAUTHBEARER key files and URLs only when allowed (3.9 allows any).
secure_jvm_opts() {
  secure_enabled || return 0
  printf '%s\n' "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://$TLS_DIR/jwks.json" \
    "-Dorg.apache.kafka.sasl.oauthbearer.allowed.files=$TLS_DIR/jwks.json"
}

# The secure listeners to append to `listeners` and `advertised.listeners`.
secure_listeners() {
  secure_enabled || return 0
  printf ',SASL_SSL://127.0.0.1:%s,MTLS://127.0.0.1:%s' "$SECURE_PORT" "$((SECURE_PORT + 1))"
}

# Their entries in `listener.security.protocol.map`.
secure_protocols() { secure_enabled && printf ',SASL_SSL:SASL_SSL,MTLS:SSL'; return 0; }

# server.properties lines of the secure listeners; empty when they are off.
secure_properties() {
  secure_enabled || return 0
  local jaas="org.apache.kafka.common.security"
  cat <<EOF
# Secure listeners (KAFKA_SECURE_PORT, scripts/lib/kafka-secure.sh)
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=$jaas.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=$jaas.oauthbearer.OAuthBearerValidatorCallbackHandler
listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms=3600000
sasl.oauthbearer.jwks.endpoint.url=file://$TLS_DIR/jwks.json
sasl.oauthbearer.expected.audience=kafka-local
listener.name.sasl_ssl.plain.sasl.jaas.config=$jaas.plain.PlainLoginModule required user_$SASL_USERNAME="$SASL_PASSWORD";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$jaas.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/server.pem
listener.name.mtls.ssl.keystore.type=PEM
listener.name.mtls.ssl.keystore.location=$TLS_DIR/server.pem
listener.name.mtls.ssl.truststore.type=PEM
listener.name.mtls.ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.mtls.ssl.client.auth=required
# ACLs decide what the SASL and certificate users may do; the plaintext listener (ANONYMOUS) may do
# anything: it is the controller's and the broker's own, and grants the ACLs.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
EOF
}

# What the SCRAM credentials written at format time were made from ('' when none).
scram_wanted() { secure_enabled && printf '%s:%s' "$SASL_USERNAME" "$(printf '%s' "$SASL_PASSWORD" | sha256sum | cut -c1-16)"; return 0; }

# StorageTool arguments adding the SCRAM credentials.
scram_format_args() {
  secure_enabled || return 0
  printf '%s\n' --add-scram "SCRAM-SHA-256=[name=$SASL_USERNAME,password=$SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$SASL_USERNAME,password=$SASL_PASSWORD]"
}

# A formatted run dir must hold the SCRAM credentials asked for now.
check_scram_formatted() {
  local have; have="$(cat "$SCRAM_FILE" 2>/dev/null || true)"
  [[ "$have" == "$(scram_wanted)" ]] || die "$DATA_DIR was formatted with other SASL users than KAFKA_SECURE_PORT/KAFKA_SASL_* ask for: run '$0 reset' (same env)"
}

# Extra lines of the start command's stdout.
secure_print() {
  secure_enabled || return 0
  printf 'KAFKA_SASL_SSL_BROKERS=127.0.0.1:%s\nKAFKA_MTLS_BROKERS=127.0.0.1:%s\nKAFKA_TLS_DIR=%s\n' "$SECURE_PORT" "$((SECURE_PORT + 1))" "$TLS_DIR"
}
